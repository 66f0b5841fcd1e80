package dev.actlab.model.bert;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hook;
import dev.actlab.model.hook.SiteTable;
import dev.actlab.tensor.Parallel;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The encoder's attention against a plain scalar reference computed in double, on every path and thread count. */
class EncoderAttentionTest {
    static float[] random(int n, long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return x;
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
