package dev.actlab.model.bert;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hook;
import dev.actlab.model.hook.SiteTable;
import dev.actlab.tensor.Parallel;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The encoder's kernels against plain scalar references computed in double. */
class EncoderKernelsTest {
    static float[] random(int n, long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return x;
    }

    /**
     * erf in double: Taylor series for |x| < 2 (terms stay below e^4, about 1e-14 lost), else
     * 1 - erfc by its continued fraction erfc(x) = e^(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / ...))).
     */
    static double erf(double x) {
        if (Math.abs(x) >= 2) {
            double a = Math.abs(x), f = a;
            for (int n = 300; n >= 1; n--) f = a + (n / 2.0) / f;
            return Math.signum(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f);
        }
        double sum = 0, term = x;
        for (int n = 0; n < 200; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    @Test void vectorExpMatchesMathExp() {
        float[] x = random(4099, 1, 87);
        float[] y = x.clone();
        var s = VectorExp.S;
        int i = 0;
        for (; i < s.loopBound(y.length); i += s.length()) VectorExp.exp(jdk.incubator.vector.FloatVector.fromArray(s, y, i)).intoArray(y, i);
        for (; i < y.length; i++) y[i] = VectorExp.exp(y[i]);
        for (int j = 0; j < x.length; j++) {
            double ref = Math.exp(x[j]);
            assertEquals(ref, y[j], 4e-7 * ref, "exp(" + x[j] + ")");
            assertEquals(VectorExp.exp(x[j]), y[j], "vector and scalar exp give the same bits at " + x[j]);
        }
    }

    @Test void geluMatchesErfDefinition() {
        float[] x = random(10_007, 2, 8);
        x[0] = 0; x[1] = -0f; x[2] = 20; x[3] = -20;
        float[] y = x.clone();
        Gelu.apply(y, 0, y.length);
        for (int i = 0; i < x.length; i++) {
            double ref = 0.5 * x[i] * (1 + erf(x[i] / Math.sqrt(2)));
            assertEquals(ref, y[i], 2e-7 * Math.max(1, Math.abs(x[i])), "gelu(" + x[i] + ")");
            assertEquals(Gelu.scalar(x[i]), y[i], "vector and scalar gelu give the same bits at " + x[i]);
        }
    }

    @Test void layerNormMatchesReference() {
        int d = 384 + 5, n = 7;
        float[] x = random(n * d, 3, 4), w = random(d, 4, 1), b = random(d, 5, 1);
        for (int i = 0; i < d; i++) x[d + i] += 100;   // a row with a large mean
        float[] ref = x.clone();
        LayerNorm.reference(ref, w, b, d, 1e-12f, n);
        float[] scale = new float[n];
        LayerNorm.normalize(x, scale, d, 1e-12f, 0, n);
        LayerNorm.affine(x, w, b, d, 0, n);
        for (int i = 0; i < x.length; i++) assertEquals(ref[i], x[i], 2e-5, "element " + i);
    }

    /** Attention in double: softmax(q k^T / sqrt(hs)) v per sequence and head. */
    static double[] attentionReference(float[] q, float[] k, float[] v, int[] off, int[] len, int heads, int hs) {
        int d = heads * hs;
        double[] z = new double[q.length];
        for (int b = 0; b < off.length; b++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < len[b]; i++) {
                    double[] p = new double[len[b]];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < len[b]; j++) {
                        double s = 0;
                        for (int c = 0; c < hs; c++) s += (double) q[(off[b] + i) * d + h * hs + c] * k[(off[b] + j) * d + h * hs + c];
                        p[j] = s / Math.sqrt(hs);
                        max = Math.max(max, p[j]);
                    }
                    for (int j = 0; j < len[b]; j++) { p[j] = Math.exp(p[j] - max); sum += p[j]; }
                    for (int c = 0; c < hs; c++) {
                        double acc = 0;
                        for (int j = 0; j < len[b]; j++) acc += p[j] / sum * v[(off[b] + j) * d + h * hs + c];
                        z[(off[b] + i) * d + h * hs + c] = acc;
                    }
                }
        return z;
    }

    @Test void attentionMatchesReferenceForEveryPathAndThreadCount() {
        for (int hs : new int[]{32, 20}) {   // 20: not a multiple of the vector length (scalar tails)
            int heads = 3, d = heads * hs;
            int[] len = {1, 5, 16, 37, 2}, off = new int[len.length];
            int n = 0;
            for (int b = 0; b < len.length; b++) { off[b] = n; n += len[b]; }
            float[] q = random(n * d, 6, 2), k = random(n * d, 7, 2), v = random(n * d, 8, 1);
            double[] ref = attentionReference(q, k, v, off, len, heads, hs);
            SiteTable none = new SiteTable(1, EnumSet.noneOf(HookSite.class));
            SiteTable withPattern = new SiteTable(1, EnumSet.of(HookSite.ATTN_PATTERN));
            float[] fused = new float[n * d], hooked = new float[n * d], threaded = new float[n * d];
            try (Parallel one = new Parallel(1); Parallel three = new Parallel(3)) {
                EncoderAttention.run(q, k, v, fused, off, len, heads, hs, 0, none, new Hook[0], one);
                EncoderAttention.run(q, k, v, threaded, off, len, heads, hs, 0, none, new Hook[0], three);
                int[] fired = {0};
                Hook check = a -> {
                    fired[0]++;
                    int L = a.shape[1];
                    for (int h = 0; h < a.shape[0]; h++)
                        for (int i = 0; i < L; i++) {
                            double s = 0;
                            for (int j = 0; j < L; j++) s += a.get(h, i, j);
                            assertEquals(1.0, s, 1e-5, "pattern row sums to 1");
                        }
                };
                EncoderAttention.run(q, k, v, hooked, off, len, heads, hs, 0, withPattern, new Hook[]{check}, three);
                assertEquals(len.length, fired[0], "pattern fires once per sequence");
            }
            for (int i = 0; i < ref.length; i++) assertEquals(ref[i], fused[i], 2e-6, "hs " + hs + " element " + i);
            assertArrayEquals(fused, threaded, "same bits on 1 and 3 threads");
            assertArrayEquals(fused, hooked, "same bits with the pattern materialized for a hook");
        }
    }
}
