package dev.actlab.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hook;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.SiteTable;
import dev.actlab.tensor.Parallel;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The vectorized attention (head size >= 16) against a plain scalar attention written here. */
class AttentionTest {

    @Test
    void causalAttentionMatchesTheScalarReference() {
        SplittableRandom rnd = new SplittableRandom(9);
        // head sizes 64 (vector), 24 (vector + tail), 8 (scalar); grouped-query heads
        for (int[] shape : new int[][]{{256, 4, 2}, {96, 4, 4}, {64, 8, 4}}) {
            LlamaConfig c = new LlamaConfig("llama", shape[0], 32, 1, shape[1], shape[2], 16, 64, 1e-5f, 10000f, false, null, true);
            int start = 3, n = 5, T = start + n;
            float[] q = random(rnd, n * c.qDim()), keys = random(rnd, T * c.kvDim()), values = random(rnd, T * c.kvDim());
            float[] z = new float[n * c.qDim()];
            SiteTable sites = new SiteTable(1, EnumSet.allOf(HookSite.class));
            try (Parallel two = new Parallel(2)) {
                Attention.causal(c, q, keys, values, z, n, start, 0, sites, new Hook[sites.size()], two);
            }
            float[] ref = reference(c, q, keys, values, n, start);
            for (int i = 0; i < z.length; i++) assertEquals(ref[i], z[i], 1e-5f, "head size " + c.headSize() + " index " + i);
        }
    }

    /** llama2.c's attention loop, one head and one query at a time. */
    static float[] reference(LlamaConfig c, float[] q, float[] keys, float[] values, int n, int start) {
        int hs = c.headSize(), kvDim = c.kvDim(), group = c.heads() / c.kvHeads();
        float[] z = new float[n * c.qDim()];
        for (int t = 0; t < n; t++) for (int h = 0; h < c.heads(); h++) {
            int pos = start + t, qo = (t * c.heads() + h) * hs, kvo = (h / group) * hs;
            double[] att = new double[pos + 1];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j <= pos; j++) {
                double s = 0;
                for (int i = 0; i < hs; i++) s += (double) q[qo + i] * keys[j * kvDim + kvo + i];
                att[j] = s / Math.sqrt(hs);
                max = Math.max(max, att[j]);
            }
            for (int j = 0; j <= pos; j++) { att[j] = Math.exp(att[j] - max); sum += att[j]; }
            for (int j = 0; j <= pos; j++)
                for (int i = 0; i < hs; i++) z[qo + i] += (float) (att[j] / sum * values[j * kvDim + kvo + i]);
        }
        return z;
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextDouble() * 2 - 1);
        return v;
    }
}
