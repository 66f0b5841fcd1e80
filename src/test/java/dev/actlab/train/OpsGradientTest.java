package dev.actlab.train;

import static dev.actlab.train.GradCheck.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.tensor.Gemm;
import dev.actlab.tensor.Parallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Every op's backward pass against central finite differences of its forward pass. Each check
 * uses the scalar loss L = sum(out * R) for a fixed random R, so dL/dout = R.
 */
class OpsGradientTest {
    static final Parallel PAR = new Parallel(2);
    static final float EPS = 1e-2f;
    static final double RTOL = 1e-2, ATOL = 1e-3;

    @AfterAll static void close() { PAR.close(); }

    @Test
    void embedding() {
        int n = 6, c = 5, v = 4;
        int[] tokens = {0, 3, 3, 1, 0, 2};
        float[] table = gaussian(v * c, 1, 1), r = gaussian(n * c, 1, 2), out = new float[n * c];
        float[] dTable = new float[v * c];
        Embedding.forward(out, tokens, table, n, c);
        Embedding.backward(dTable, r, tokens, n, c);
        check("dTable", table, dTable, () -> { Embedding.forward(out, tokens, table, n, c); return project(out, r); },
                EPS, RTOL, ATOL, 1000, 3);
    }

    @Test
    void rmsnorm() {
        int n = 5, c = 12;
        float eps = 1e-5f;
        float[] x = gaussian(n * c, 1, 1), w = gaussian(c, 1, 2), r = gaussian(n * c, 1, 3);
        float[] y = new float[n * c], rstd = new float[n], dx = new float[n * c], dw = new float[c];
        RmsNorm.forward(y, rstd, x, w, n, c, eps, PAR);
        RmsNorm.backward(dx, dw, r, x, w, rstd, n, c, PAR);
        var loss = (java.util.function.DoubleSupplier) () -> { RmsNorm.forward(y, rstd, x, w, n, c, eps, PAR); return project(y, r); };
        check("dx", x, dx, loss, EPS, RTOL, ATOL, 1000, 4);
        check("dw", w, dw, loss, EPS, RTOL, ATOL, 1000, 5);
    }

    /** The vectorized backward (c over two vectors plus a tail) against the scalar formula; dw bit for bit. */
    @Test
    void rmsnormBackwardAtVectorWidthsMatchesTheScalarFormula() {
        int n = 9, c = 37;
        float[] x = gaussian(n * c, 1, 1), w = gaussian(c, 1, 2), dy = gaussian(n * c, 1, 3);
        float[] y = new float[n * c], rstd = new float[n], dx = gaussian(n * c, 1, 4), dw = gaussian(c, 1, 5);
        float[] dx0 = dx.clone(), dw0 = dw.clone();
        RmsNorm.forward(y, rstd, x, w, n, c, 1e-5f, PAR);
        RmsNorm.backward(dx, dw, dy, x, w, rstd, n, c, PAR);
        for (int t = 0; t < n; t++) {
            double r = rstd[t], dot = 0;
            for (int i = 0; i < c; i++) dot += (double) w[i] * dy[t * c + i] * x[t * c + i];
            for (int i = 0; i < c; i++) {
                double want = dx0[t * c + i] + r * w[i] * dy[t * c + i] - r * r * r * dot / c * x[t * c + i];
                assertEquals(want, dx[t * c + i], 1e-5 * Math.max(1, Math.abs(want)), "dx");
            }
        }
        for (int i = 0; i < c; i++) {
            float s = 0;
            for (int t = 0; t < n; t++) s += dy[t * c + i] * x[t * c + i] * rstd[t];
            assertEquals(dw0[i] + s, dw[i], 0f, "dw[" + i + "]");
        }
    }

    @Test
    void matmul() {
        int n = 7, in = 19, out = 11;   // odd sizes exercise the vector loops' scalar tails
        float[] x = gaussian(n * in, 1, 1), w = gaussian(out * in, 1, 2), r = gaussian(n * out, 1, 3);
        float[] y = new float[n * out], dx = new float[n * in], dw = new float[out * in];
        Matmul.forward(y, x, w, n, in, out, PAR);
        for (int t = 0; t < n; t++)
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int i = 0; i < in; i++) s += (double) x[t * in + i] * w[o * in + i];
                assertEquals(s, y[t * out + o], 1e-5 * Math.max(1, Math.abs(s)), "forward vs scalar reference");
            }
        Matmul.backward(dx, dw, r, x, w, n, in, out, PAR);
        var loss = (java.util.function.DoubleSupplier) () -> { Matmul.forward(y, x, w, n, in, out, PAR); return project(y, r); };
        check("dx", x, dx, loss, EPS, RTOL, ATOL, 1000, 4);
        check("dw", w, dw, loss, EPS, RTOL, ATOL, 1000, 5);
    }

    @Test
    void matmulIsAnFmaChainInIndexOrderWhateverTheThreadCount() {
        int n = 151, in = 45, out = 70;   // rows not a multiple of 4, columns past the vectors, J (= n for dW) over two tiles
        float[] x = gaussian(n * in, 1, 1), w = gaussian(out * in, 1, 2), dy = gaussian(n * out, 1, 3);
        float[][] y = new float[3][], dx = new float[3][], dw = new float[3][];
        for (int threads = 1; threads <= 3; threads++) {
            try (Parallel p = new Parallel(threads)) {
                int k = threads - 1;
                y[k] = new float[n * out]; dx[k] = new float[n * in]; dw[k] = new float[out * in];
                Matmul.forward(y[k], x, w, n, in, out, p);
                Matmul.backward(dx[k], dw[k], dy, x, w, n, in, out, p);
            }
        }
        // and each element is the fused multiply-add chain in index order, as a scalar loop computes it
        for (int t = 0; t < n; t++)
            for (int o = 0; o < out; o++) {
                float ref = 0;
                for (int i = 0; i < in; i++) ref = Math.fma(x[t * in + i], w[o * in + i], ref);
                assertEquals(ref, y[0][t * out + o], 0f);
            }
        float[] dxRef = new float[n * in], dwRef = new float[out * in];
        for (int t = 0; t < n; t++) for (int i = 0; i < in; i++) for (int o = 0; o < out; o++) dxRef[t * in + i] = Math.fma(dy[t * out + o], w[o * in + i], dxRef[t * in + i]);
        for (int o = 0; o < out; o++) for (int i = 0; i < in; i++) for (int t = 0; t < n; t++) dwRef[o * in + i] = Math.fma(dy[t * out + o], x[t * in + i], dwRef[o * in + i]);
        assertArrayEquals(dxRef, dx[0]);
        assertArrayEquals(dwRef, dw[0]);
        for (int k = 1; k < 3; k++) {
            assertArrayEquals(y[0], y[k]);
            assertArrayEquals(dx[0], dx[k]);
            assertArrayEquals(dw[0], dw[k]);
        }
    }

    @Test
    void rope() {
        int B = 2, T = 5, heads = 3, hs = 8, n = B * T;
        RotaryEmbedding rope = new RotaryEmbedding(T, hs, 10000f);
        float[] x0 = gaussian(n * heads * hs, 1, 1), r = gaussian(n * heads * hs, 1, 2);
        float[] x = x0.clone(), y = new float[x.length];
        rope.forward(x, n, heads);
        // position 0 is the identity; the rotation keeps each pair's length
        for (int i = 0; i < heads * hs; i++) assertEquals(x0[i], x[i], 0f);
        for (int i = 0; i < x.length; i += 2)
            assertEquals(Math.hypot(x0[i], x0[i + 1]), Math.hypot(x[i], x[i + 1]), 1e-5);
        float[] dx = r.clone();
        rope.backward(dx, n, heads);
        check("dx", x0, dx, () -> { System.arraycopy(x0, 0, y, 0, y.length); rope.forward(y, n, heads); return project(y, r); },
                EPS, RTOL, ATOL, 1000, 3);
    }

    /** RotaryEmbedding (vector pairs, split over rows) against the per-pair formula it replaced, bit for bit, for head sizes on and off the vector width. */
    @Test
    void ropeGivesTheTextbookRotationsBits() {
        for (int hs : new int[]{8, 16, 32, 48, 64}) {
            int B = 3, T = 37, heads = 2, n = B * T;
            float theta = 10000f;
            RotaryEmbedding rope = new RotaryEmbedding(T, hs, theta);
            float[] x0 = gaussian(n * heads * hs, 1, hs), fwd = x0.clone(), bwd = x0.clone();
            rope.forward(fwd, n, heads, PAR);
            rope.backward(bwd, n, heads, PAR);
            float[] wantF = x0.clone(), wantB = x0.clone();
            for (int direction : new int[]{1, -1}) {
                float[] x = direction == 1 ? wantF : wantB;
                for (int row = 0; row < n; row++)
                    for (int h = 0; h < heads; h++)
                        for (int i = 0; i < hs / 2; i++) {
                            float freq = (float) (1.0 / Math.pow(theta, (2.0 * i) / hs)), angle = (row % T) * freq;
                            float c = (float) Math.cos(angle), s = direction * (float) Math.sin(angle);
                            int o = (row * heads + h) * hs + 2 * i;
                            float v0 = x[o], v1 = x[o + 1];
                            x[o] = v0 * c - v1 * s;
                            x[o + 1] = v0 * s + v1 * c;
                        }
            }
            assertArrayEquals(wantF, fwd, "forward, head size " + hs);
            assertArrayEquals(wantB, bwd, "backward, head size " + hs);
        }
    }

    @Test
    void causalAttentionWithGroupedQueryHeads() {
        int B = 2, T = 6, heads = 4, kv = 2, hs = 4, n = B * T;
        CausalAttention attn = new CausalAttention(B, T, heads, kv, hs);
        float[] q = gaussian(n * heads * hs, 1, 1), k = gaussian(n * kv * hs, 1, 2), v = gaussian(n * kv * hs, 1, 3);
        float[] r = gaussian(n * heads * hs, 1, 4);
        float[] z = new float[n * heads * hs], att = new float[attn.attSize()];
        float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        attn.forward(z, att, q, k, v, PAR);
        for (int row = 0; row < B * heads * T; row++) {   // each row of probabilities sums to 1, zero above the diagonal
            int t = row % T;
            double s = 0;
            for (int j = 0; j < T; j++) { s += att[row * T + j]; if (j > t) assertEquals(0f, att[row * T + j]); }
            assertEquals(1.0, s, 1e-5);
        }
        attn.backward(dq, dk, dv, r, q, k, v, att, PAR);
        var loss = (java.util.function.DoubleSupplier) () -> { attn.forward(z, att, q, k, v, PAR); return project(z, r); };
        check("dq", q, dq, loss, EPS, RTOL, ATOL, 1000, 5);
        check("dk", k, dk, loss, EPS, RTOL, ATOL, 1000, 6);
        check("dv", v, dv, loss, EPS, RTOL, ATOL, 1000, 7);
    }

    @Test
    void swiglu() {
        int len = 40;
        float[] g = gaussian(len, 2, 1), u = gaussian(len, 1, 2), r = gaussian(len, 1, 3), h = new float[len];
        float[] dg = new float[len], du = new float[len];
        SwiGlu.backward(dg, du, r, g, u, len, PAR);
        var loss = (java.util.function.DoubleSupplier) () -> { SwiGlu.forward(h, g, u, len, PAR); return project(h, r); };
        check("dGate", g, dg, loss, EPS, RTOL, ATOL, 1000, 4);
        check("dUp", u, du, loss, EPS, RTOL, ATOL, 1000, 5);
    }

    @Test
    void residual() {
        int len = 20;
        float[] a = gaussian(len, 1, 1), b = gaussian(len, 1, 2), r = gaussian(len, 1, 3), out = new float[len];
        float[] da = new float[len], db = new float[len];
        Residual.backward(da, db, r, len);
        var loss = (java.util.function.DoubleSupplier) () -> { Residual.forward(out, a, b, len); return project(out, r); };
        check("da", a, da, loss, EPS, RTOL, ATOL, 1000, 4);
        check("db", b, db, loss, EPS, RTOL, ATOL, 1000, 5);
    }

    @Test
    void crossEntropy() {
        int n = 5, v = 9;
        int[] targets = {0, 8, 3, 3, 5};
        float[] logits = gaussian(n * v, 2, 1), probs = new float[n * v], losses = new float[n], dLogits = new float[n * v];
        float mean = CrossEntropy.forward(probs, losses, logits, targets, n, v, PAR);
        double expected = 0;
        for (int t = 0; t < n; t++) {   // -log softmax in double
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < v; i++) max = Math.max(max, logits[t * v + i]);
            for (int i = 0; i < v; i++) sum += Math.exp(logits[t * v + i] - max);
            expected += (Math.log(sum) + max - logits[t * v + targets[t]]) / n;
        }
        assertEquals(expected, mean, 1e-5);
        CrossEntropy.backward(dLogits, probs, targets, n, v, 1f, PAR);
        check("dLogits", logits, dLogits, () -> CrossEntropy.forward(probs, losses, logits, targets, n, v, PAR),
                EPS, RTOL, ATOL, 1000, 4);
    }

    /** The softmax and dLogits written in place over the logits (TrainModel's one [N, V] array) have the bits of separate arrays. */
    @Test
    void crossEntropyInPlaceGivesTheBitsOfSeparateArrays() {
        int n = 7, v = 53;   // off the vector width: scalar tails too
        int[] targets = {0, 52, 3, 3, 17, 40, 1};
        float[] logits = gaussian(n * v, 3, 6), probs = new float[n * v], losses = new float[n], dLogits = new float[n * v];
        float mean = CrossEntropy.forward(probs, losses, logits, targets, n, v, PAR);
        CrossEntropy.backwardInto(dLogits, probs, targets, n, v, 0.7f, PAR);
        float[] inPlace = logits.clone(), lossesInPlace = new float[n];
        assertEquals(mean, CrossEntropy.forward(inPlace, lossesInPlace, inPlace, targets, n, v, PAR), 0f);
        assertArrayEquals(losses, lossesInPlace);
        assertArrayEquals(probs, inPlace);
        CrossEntropy.backwardInto(inPlace, inPlace, targets, n, v, 0.7f, PAR);
        assertArrayEquals(dLogits, inPlace);
    }

    /** The residual add fused into the norm's chunks gives the bits of the add, then the norm. */
    @Test
    void rmsnormAfterResidualEqualsTheAddThenTheNorm() {
        int n = 37, c = 40;
        float[] a = gaussian(n * c, 1, 1), b = gaussian(n * c, 1, 2), w = gaussian(c, 1, 3);
        float[] sum = new float[n * c], y = new float[n * c], rstd = new float[n];
        float[] sum0 = new float[n * c], y0 = new float[n * c], rstd0 = new float[n];
        Residual.forward(sum0, a, b, n * c);
        RmsNorm.forward(y0, rstd0, sum0, w, n, c, 1e-5f, Gemm.SERIAL);
        RmsNorm.forwardAfterResidual(y, rstd, sum, a, b, w, n, c, 1e-5f, PAR);
        assertArrayEquals(sum0, sum);
        assertArrayEquals(y0, y);
        assertArrayEquals(rstd0, rstd);
    }
}
