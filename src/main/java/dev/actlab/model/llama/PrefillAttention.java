package dev.actlab.model.llama;

import dev.actlab.tensor.Axpy;
import dev.actlab.tensor.Dot;
import dev.actlab.tensor.MathExpLanes;
import dev.actlab.tensor.Parallel;

/**
 * {@link Attention#causal} for a prefill (>= {@link LlamaModel#PREFILL_MIN} tokens) with no hook at the scores or the
 * pattern: the same scores (one {@link Dot} per key), softmax and mix (one {@link Axpy} per key) in the same order, so the
 * same bits; only softmax's {@code (float) Math.exp} runs on vector lanes ({@link MathExpLanes}, the same bits too), and
 * its maximum and normalization are vector passes (a maximum and a product per element do not depend on the order).
 * The exponentials were most of a prefill's attention time (1.2M per 110M prefill of 128 tokens).
 */
final class PrefillAttention {
    private PrefillAttention() {}

    /** q [n, heads, hs] (rotated), keys/values [T, kv_heads, hs] (cache), z [n, heads, hs] out. */
    static void causal(LlamaConfig c, float[] q, float[] keys, float[] values, float[] z, int n, int start, Parallel par) {
        int heads = c.heads(), hs = c.headSize(), T = start + n;
        int grain = (int) Math.max(4, Math.min(heads * n, (MIN_CHUNK_WORK + 2L * T * hs - 1) / (2L * T * hs)));   // as Attention's
        boolean lanes = PrefillChoice.lanesExp;
        par.forRange(heads * n, grain, (from, to) -> {
            float[] row = new float[T];
            for (int r = from; r < to; r++) {
                int h = r / n, t = r % n, len = start + t + 1;
                scores(c, q, keys, row, h, t, len);
                softmax(row, len, lanes);
                mix(c, values, row, z, h, t, len);
            }
        });
    }

    private static final long MIN_CHUNK_WORK = 1 << 15;

    /** row[j] = q . k_j / sqrt(hs) for j < len (the causal prefix; the rest of row is never read). */
    private static void scores(LlamaConfig c, float[] q, float[] keys, float[] row, int h, int t, int len) {
        int hs = c.headSize(), kvDim = c.kvDim(), kvHead = h / (c.heads() / c.kvHeads());
        int qOff = (t * c.heads() + h) * hs;
        float scale = (float) (1.0 / Math.sqrt(hs));
        boolean vector = hs >= Attention.VECTOR_MIN;
        for (int j = 0; j < len; j++) {
            int kOff = j * kvDim + kvHead * hs;
            row[j] = (vector ? Dot.vector(q, qOff, keys, kOff, hs) : Dot.scalar(q, qOff, keys, kOff, hs)) * scale;
        }
    }

    /** Softmax over row[0 : len], as Attention's: e_j = exp(s_j - max) summed in j order, then times 1 / sum. */
    private static void softmax(float[] row, int len, boolean lanes) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < len; j++) max = Math.max(max, row[j]);
        if (lanes) MathExpLanes.expShifted(row, 0, len, max);
        else for (int j = 0; j < len; j++) row[j] = (float) Math.exp(row[j] - max);
        float sum = 0;
        for (int j = 0; j < len; j++) sum += row[j];
        float inv = 1f / sum;
        for (int j = 0; j < len; j++) row[j] *= inv;
    }

    /** z[t, h, :] = sum_j p_j v_j over the attended positions (per element: z += p_j * v_j in j order). */
    private static void mix(LlamaConfig c, float[] values, float[] p, float[] z, int h, int t, int len) {
        int hs = c.headSize(), kvDim = c.kvDim(), kvHead = h / (c.heads() / c.kvHeads());
        int zOff = (t * c.heads() + h) * hs;
        for (int i = 0; i < hs; i++) z[zOff + i] = 0;
        boolean vector = hs >= Attention.VECTOR_MIN;   // either gives the same bits
        for (int j = 0; j < len; j++) {
            int vOff = j * kvDim + kvHead * hs;
            if (vector) Axpy.vector(p[j], values, vOff, z, zOff, hs);
            else Axpy.scalar(p[j], values, vOff, z, zOff, hs);
        }
    }
}
