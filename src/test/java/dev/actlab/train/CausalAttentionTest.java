package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.tensor.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * CausalAttention (blocked products that skip the masked half) against a plain scalar
 * double-precision reference of the same formulas, at a size where the skips and the ragged
 * register blocks matter (T = 37 positions, head size 20), and bit-identical for 1 and 3 threads.
 */
class CausalAttentionTest {
    static final int B = 2, T = 37, HEADS = 4, KV = 2, HS = 20, N = B * T;

    @Test
    void forwardAndBackwardMatchTheScalarReference() {
        SplittableRandom rng = new SplittableRandom(5);
        float[] q = gaussian(N * HEADS * HS, rng), k = gaussian(N * KV * HS, rng), v = gaussian(N * KV * HS, rng), dz = gaussian(N * HEADS * HS, rng);
        float[][] got = run(q, k, v, dz, 1), got3 = run(q, k, v, dz, 3);
        for (int i = 0; i < got.length; i++) assertArrayEquals(got[i], got3[i], "output " + i + ": 1 vs 3 threads");

        double[] z = new double[N * HEADS * HS], dq = new double[q.length], dk = new double[k.length], dv = new double[v.length];
        double scale = 1 / Math.sqrt(HS);
        for (int b = 0; b < B; b++)
            for (int h = 0; h < HEADS; h++) {
                int g = h / (HEADS / KV);
                double[][] p = new double[T][T], dp = new double[T][T];
                for (int t = 0; t < T; t++) {
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j <= t; j++) {
                        double s = 0;
                        for (int i = 0; i < HS; i++) s += q[qi(b, t, h, i)] * k[ki(b, j, g, i)];
                        p[t][j] = s * scale;
                        max = Math.max(max, p[t][j]);
                    }
                    for (int j = 0; j <= t; j++) { p[t][j] = Math.exp(p[t][j] - max); sum += p[t][j]; }
                    for (int j = 0; j <= t; j++) p[t][j] /= sum;
                    for (int j = 0; j <= t; j++) {
                        assertEquals(p[t][j], got[4][((b * HEADS + h) * T + t) * T + j], 1e-5, "probability");
                        for (int i = 0; i < HS; i++) z[qi(b, t, h, i)] += p[t][j] * v[ki(b, j, g, i)];
                    }
                }
                for (int t = 0; t < T; t++) {
                    double pdp = 0;
                    for (int j = 0; j <= t; j++) {
                        for (int i = 0; i < HS; i++) dp[t][j] += dz[qi(b, t, h, i)] * v[ki(b, j, g, i)];
                        pdp += p[t][j] * dp[t][j];
                    }
                    for (int j = 0; j <= t; j++) {
                        double ds = p[t][j] * (dp[t][j] - pdp) * scale;
                        for (int i = 0; i < HS; i++) {
                            dq[qi(b, t, h, i)] += ds * k[ki(b, j, g, i)];
                            dk[ki(b, j, g, i)] += ds * q[qi(b, t, h, i)];
                            dv[ki(b, j, g, i)] += p[t][j] * dz[qi(b, t, h, i)];
                        }
                    }
                }
            }
        close("z", z, got[0]);
        close("dq", dq, got[1]);
        close("dk", dk, got[2]);
        close("dv", dv, got[3]);
    }

    /** {z, dq, dk, dv, att} on a pool of the given size (dq, dk, dv start from 1 to check they are added to). */
    private static float[][] run(float[] q, float[] k, float[] v, float[] dz, int threads) {
        CausalAttention attn = new CausalAttention(B, T, HEADS, KV, HS);
        float[] z = new float[q.length], att = new float[attn.attSize()];
        float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        java.util.Arrays.fill(dq, 1f); java.util.Arrays.fill(dk, 1f); java.util.Arrays.fill(dv, 1f);
        try (Parallel par = new Parallel(threads)) {
            attn.forward(z, att, q, k, v, par);
            attn.backward(dq, dk, dv, dz, q, k, v, att, par);
        }
        for (float[] d : new float[][]{dq, dk, dv}) for (int i = 0; i < d.length; i++) d[i] -= 1f;
        return new float[][]{z, dq, dk, dv, att};
    }

    private static int qi(int b, int t, int h, int i) { return ((b * T + t) * HEADS + h) * HS + i; }
    private static int ki(int b, int t, int g, int i) { return ((b * T + t) * KV + g) * HS + i; }

    private static void close(String what, double[] want, float[] got) {
        for (int i = 0; i < want.length; i++)
            assertEquals(want[i], got[i], 2e-5 + 1e-4 * Math.abs(want[i]), what + "[" + i + "]");
    }

    private static float[] gaussian(int n, SplittableRandom rng) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian();
        return v;
    }
}
