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
     * Split over (sequence, head) pairs; per pair both products are cache-blocked matrix
     * products (Matmul.gemmSerial) on contiguous copies of the head's rows. They compute the
     * whole T x T square: the masked half costs flops but keeps the kernel simple and fast.
     */
    public void forward(float[] z, float[] att, float[] q, float[] k, float[] v, Parallel par) {
        int T = seqLen, hs = headSize, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hs));
        par.forRange(batch * heads, 1, (from, to) -> {
            float[] qh = new float[T * hs], kg = new float[T * hs], vg = new float[T * hs], p = new float[T * T], zh = new float[T * hs];
            for (int bh = from; bh < to; bh++) {
                int b = bh / heads, h = bh % heads, g = h / group;
                rows(q, heads, b, h, qh);
                rows(k, kvHeads, b, g, kg);
                rows(v, kvHeads, b, g, vg);
                Arrays.fill(p, 0f);
                Matmul.gemmSerial(p, qh, false, kg, true, T, hs, T);     // scores [T, T] = Q K^T
                for (int t = 0; t < T; t++) {
                    int o = t * T;
                    VectorExp.scale(p, o, t + 1, scale);
                    float max = VectorExp.max(p, o, t + 1);
                    float sum = VectorExp.expShifted(p, p, o, t + 1, max);
                    VectorExp.scale(p, o, t + 1, 1f / sum);
                    Arrays.fill(p, o + t + 1, o + T, 0f);
                }
                System.arraycopy(p, 0, att, bh * T * T, T * T);
                Arrays.fill(zh, 0f);
                Matmul.gemmSerial(zh, p, false, vg, false, T, T, hs);   // [T, hs] = P V
                for (int t = 0; t < T; t++) System.arraycopy(zh, t * hs, z, ((b * T + t) * heads + h) * hs, hs);
            }
        });
    }

    /**
     * dq += dL/dq, dk += dL/dk, dv += dL/dv given dz [B, T, heads, hs]. Split over (sequence,
     * kv head) pairs: the query heads of one group add into the same key/value rows, so one
     * thread handles the whole group, in head order. Per head, as matrix products:
     *   dP = dZ V^T;  dS = P * (dP - rowsum(P * dP)) / sqrt(hs);
     *   dQ += dS K;  dK += dS^T Q;  dV += P^T dZ.
     */
    public void backward(float[] dq, float[] dk, float[] dv, float[] dz, float[] q, float[] k, float[] v, float[] att, Parallel par) {
        int T = seqLen, hs = headSize, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hs));
        par.forRange(batch * kvHeads, 1, (from, to) -> {
            float[] vg = new float[T * hs], kg = new float[T * hs], dkg = new float[T * hs], dvg = new float[T * hs];
            float[] qh = new float[T * hs], dzh = new float[T * hs], dqh = new float[T * hs];
            float[] p = new float[T * T], ds = new float[T * T];
            for (int bg = from; bg < to; bg++) {
                int b = bg / kvHeads, g = bg % kvHeads;
                rows(v, kvHeads, b, g, vg);
                rows(k, kvHeads, b, g, kg);
                rows(dk, kvHeads, b, g, dkg);
                rows(dv, kvHeads, b, g, dvg);
                for (int h = g * group; h < (g + 1) * group; h++) {
                    int bh = b * heads + h;
                    rows(q, heads, b, h, qh);
                    rows(dz, heads, b, h, dzh);
                    System.arraycopy(att, bh * T * T, p, 0, T * T);
                    Arrays.fill(ds, 0f);
                    Matmul.gemmSerial(ds, dzh, false, vg, true, T, hs, T);   // dP [T, T] = dZ V^T
                    for (int t = 0; t < T; t++) {
                        int o = t * T;
                        float pdp = 0;
                        for (int j = 0; j <= t; j++) pdp += p[o + j] * ds[o + j];
                        for (int j = 0; j <= t; j++) ds[o + j] = p[o + j] * (ds[o + j] - pdp) * scale;
                        Arrays.fill(ds, o + t + 1, o + T, 0f);
                    }
                    rows(dq, heads, b, h, dqh);
                    Matmul.gemmSerial(dqh, ds, false, kg, false, T, T, hs);
                    for (int t = 0; t < T; t++) System.arraycopy(dqh, t * hs, dq, ((b * T + t) * heads + h) * hs, hs);
                    Matmul.gemmSerial(dkg, ds, true, qh, false, T, T, hs);     // dS^T Q
                    Matmul.gemmSerial(dvg, p, true, dzh, false, T, T, hs);     // P^T dZ
                }
                for (int t = 0; t < T; t++) {
                    int o = ((b * T + t) * kvHeads + g) * hs;
                    System.arraycopy(dkg, t * hs, dk, o, hs);
                    System.arraycopy(dvg, t * hs, dv, o, hs);
                }
            }
        });
    }

    /** Head h's rows of x [B, T, nHeads, hs] -> out [T, hs]. */
    private void rows(float[] x, int nHeads, int b, int h, float[] out) {
        int T = seqLen, hs = headSize;
        for (int t = 0; t < T; t++) System.arraycopy(x, ((b * T + t) * nHeads + h) * hs, out, t * hs, hs);
    }
}
