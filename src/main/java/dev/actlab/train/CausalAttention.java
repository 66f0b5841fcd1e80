package dev.actlab.train;

import dev.actlab.tensor.Parallel;
import java.util.Arrays;

/**
 * Causal self-attention with grouped-query heads over B sequences of T positions: query head h
 * reads key/value head h / (heads / kv_heads). Scores are q.k / sqrt(head_size), softmaxed over
 * positions j <= t. The probabilities are saved for the backward pass.
 */
public final class CausalAttention {
    private final int batch, seqLen, heads, kvHeads, headSize;

    public CausalAttention(int batch, int seqLen, int heads, int kvHeads, int headSize) {
        if (heads % kvHeads != 0) throw new IllegalArgumentException("heads " + heads + " is not a multiple of kv_heads " + kvHeads);
        this.batch = batch; this.seqLen = seqLen; this.heads = heads; this.kvHeads = kvHeads; this.headSize = headSize;
    }

    /** Floats of the saved probabilities: [B, heads, T, T]. */
    public int attSize() { return batch * heads * seqLen * seqLen; }

    /**
     * z [B, T, heads, hs] = softmax(q k^T / sqrt(hs)) v; att [B, heads, T, T] saves the
     * probabilities (zero above the diagonal). q [B, T, heads, hs], k and v [B, T, kv_heads, hs].
     * Split over (sequence, head) pairs. A score row is built as sum_i q_i * (row i of k^T):
     * vector operations along positions, no horizontal sums.
     */
    public void forward(float[] z, float[] att, float[] q, float[] k, float[] v, Parallel par) {
        int T = seqLen, hs = headSize, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hs));
        float[] kT = transposeHeads(k, par);   // [B, kv_heads, hs, T]
        par.forRange(batch * heads, 1, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / heads, h = bh % heads, g = h / group;
                int ktOff = (b * kvHeads + g) * hs * T;
                for (int t = 0; t < T; t++) {
                    int qOff = ((b * T + t) * heads + h) * hs;
                    int aOff = (bh * T + t) * T;
                    Arrays.fill(att, aOff, aOff + T, 0f);
                    for (int i = 0; i < hs; i++) Matmul.axpy(q[qOff + i], kT, ktOff + i * T, att, aOff, t + 1);
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j <= t; j++) { att[aOff + j] *= scale; max = Math.max(max, att[aOff + j]); }
                    float sum = 0;
                    for (int j = 0; j <= t; j++) { float e = (float) Math.exp(att[aOff + j] - max); att[aOff + j] = e; sum += e; }
                    float inv = 1f / sum;
                    for (int j = 0; j <= t; j++) att[aOff + j] *= inv;
                    Arrays.fill(z, qOff, qOff + hs, 0f);
                    for (int j = 0; j <= t; j++)
                        Matmul.axpy(att[aOff + j], v, ((b * T + j) * kvHeads + g) * hs, z, qOff, hs);
                }
            }
        });
    }

    /**
     * dq += dL/dq, dk += dL/dk, dv += dL/dv given dz [B, T, heads, hs]. Split over (sequence,
     * kv head) pairs: the query heads of one group add into the same key/value rows, so one
     * thread handles the whole group, in head then position order.
     *   dp_j = dz . v_j;  ds_j = p_j (dp_j - sum_i p_i dp_i) / sqrt(hs);
     *   dq += sum_j ds_j k_j;  dk_j += ds_j q;  dv_j += p_j dz.
     */
    public void backward(float[] dq, float[] dk, float[] dv, float[] dz, float[] q, float[] k, float[] v, float[] att, Parallel par) {
        int T = seqLen, hs = headSize, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hs));
        float[] vT = transposeHeads(v, par);   // [B, kv_heads, hs, T]
        par.forRange(batch * kvHeads, 1, (from, to) -> {
            float[] dp = new float[T];
            for (int bg = from; bg < to; bg++) {
                int b = bg / kvHeads, g = bg % kvHeads, vtOff = bg * hs * T;
                for (int h = g * group; h < (g + 1) * group; h++) {
                    int bh = b * heads + h;
                    for (int t = 0; t < T; t++) {
                        int qOff = ((b * T + t) * heads + h) * hs;
                        int aOff = (bh * T + t) * T;
                        Arrays.fill(dp, 0, t + 1, 0f);
                        for (int i = 0; i < hs; i++) Matmul.axpy(dz[qOff + i], vT, vtOff + i * T, dp, 0, t + 1);
                        float pdp = 0;
                        for (int j = 0; j <= t; j++) pdp += att[aOff + j] * dp[j];
                        for (int j = 0; j <= t; j++) {
                            float p = att[aOff + j];
                            float d = p * (dp[j] - pdp) * scale;
                            int kOff = ((b * T + j) * kvHeads + g) * hs;
                            Matmul.axpy(d, k, kOff, dq, qOff, hs);
                            Matmul.axpy(d, q, qOff, dk, kOff, hs);
                            Matmul.axpy(p, dz, qOff, dv, kOff, hs);
                        }
                    }
                }
            }
        });
    }

    /** x [B, T, kv_heads, hs] -> [B, kv_heads, hs, T]: each head's positions contiguous per channel. */
    private float[] transposeHeads(float[] x, Parallel par) {
        int T = seqLen, hs = headSize;
        float[] out = new float[x.length];
        par.forRange(batch * kvHeads, 1, (from, to) -> {
            for (int bg = from; bg < to; bg++) {
                int b = bg / kvHeads, g = bg % kvHeads;
                for (int t = 0; t < T; t++)
                    for (int i = 0; i < hs; i++) out[(bg * hs + i) * T + t] = x[((b * T + t) * kvHeads + g) * hs + i];
            }
        });
        return out;
    }
}
