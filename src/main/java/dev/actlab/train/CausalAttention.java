package dev.actlab.train;

import dev.actlab.tensor.Gemm;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.Softmax;
import dev.actlab.train.StepProfile.Phase;
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
     * products (Gemm.multiply on strided views of the head's rows) that skip the blocks the causal
     * mask zeroes: scores above the diagonal, probabilities of later positions.
     */
    public void forward(float[] z, float[] att, float[] q, float[] k, float[] v, Parallel par) { forward(z, att, q, k, v, par, null); }

    /** {@link #forward}, its products and softmax charged to profile's phases (null: no profiling). */
    void forward(float[] z, float[] att, float[] q, float[] k, float[] v, Parallel par, StepProfile profile) {
        int T = seqLen, hs = headSize, group = heads / kvHeads, qStride = heads * hs, kStride = kvHeads * hs;
        float scale = (float) (1.0 / Math.sqrt(hs));
        par.forRange(batch * heads, 1, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / heads, h = bh % heads, g = h / group;
                int qo = (b * T * heads + h) * hs, ko = (b * T * kvHeads + g) * hs, po = bh * T * T;
                enter(profile, Phase.ATTENTION_GEMM);
                Gemm.multiply(att, po, T, q, qo, qStride, false, k, ko, kStride, true, T, hs, T,
                        Gemm.Zeros.C_BEFORE_ABOVE_DIAGONAL, Gemm.SERIAL);              // scores [T, T] = Q K^T (the rest: causalRow's zeros)
                enter(profile, Phase.ATTENTION_SOFTMAX);
                for (int t = 0; t < T; t++) {
                    Softmax.causalRow(att, po + t * T, t + 1, T, scale);
                    Arrays.fill(z, qo + t * qStride, qo + t * qStride + hs, 0f);
                }
                enter(profile, Phase.ATTENTION_GEMM);
                Gemm.multiply(z, qo, qStride, att, po, T, false, v, ko, kStride, false, T, T, hs,
                        Gemm.Zeros.A_ABOVE_DIAGONAL, Gemm.SERIAL);                     // z [T, hs] = P V
            }
        });
    }

    /**
     * dq += dL/dq, dk += dL/dk, dv += dL/dv given dz [B, T, heads, hs]. Split over (sequence,
     * kv head) pairs: the query heads of one group add into the same key/value rows, so one
     * thread handles the whole group, in head order. Per head, as matrix products:
     *   dP = dZ V^T;  dS = P * (dP - rowsum(P * dP)) / sqrt(hs);
     *   dQ += dS K;  dK += dS^T Q;  dV += P^T dZ   (each skipping the causally zero half).
     */
    public void backward(float[] dq, float[] dk, float[] dv, float[] dz, float[] q, float[] k, float[] v, float[] att, Parallel par) {
        backward(dq, dk, dv, dz, q, k, v, att, par, null);
    }

    /** {@link #backward}, its products and softmax charged to profile's phases (null: no profiling). */
    void backward(float[] dq, float[] dk, float[] dv, float[] dz, float[] q, float[] k, float[] v, float[] att, Parallel par, StepProfile profile) {
        int T = seqLen, hs = headSize, group = heads / kvHeads, qStride = heads * hs, kStride = kvHeads * hs;
        float scale = (float) (1.0 / Math.sqrt(hs));
        par.forRange(batch * kvHeads, 1, (from, to) -> {
            float[] ds = scratch(T * T);
            for (int bg = from; bg < to; bg++) {
                int b = bg / kvHeads, g = bg % kvHeads, ko = (b * T * kvHeads + g) * hs;
                for (int h = g * group; h < (g + 1) * group; h++) {
                    int bh = b * heads + h, qo = (b * T * heads + h) * hs, po = bh * T * T;
                    enter(profile, Phase.ATTENTION_GEMM);
                    Gemm.multiply(ds, 0, T, dz, qo, qStride, false, v, ko, kStride, true, T, hs, T,
                            Gemm.Zeros.C_BEFORE_ABOVE_DIAGONAL, Gemm.SERIAL);          // dP [T, T] = dZ V^T (the rest: backwardRow's zeros)
                    enter(profile, Phase.ATTENTION_SOFTMAX);
                    for (int t = 0; t < T; t++) Softmax.backwardRow(ds, t * T, att, po + t * T, t + 1, T, scale);
                    enter(profile, Phase.ATTENTION_GEMM);
                    Gemm.multiply(dq, qo, qStride, ds, 0, T, false, k, ko, kStride, false, T, T, hs,
                            Gemm.Zeros.A_ABOVE_DIAGONAL, Gemm.SERIAL);                 // dQ += dS K
                    Gemm.multiply(dk, ko, kStride, ds, 0, T, true, q, qo, qStride, false, T, T, hs,
                            Gemm.Zeros.A_BELOW_DIAGONAL, Gemm.SERIAL);                 // dK += dS^T Q
                    Gemm.multiply(dv, ko, kStride, att, po, T, true, dz, qo, qStride, false, T, T, hs,
                            Gemm.Zeros.A_BELOW_DIAGONAL, Gemm.SERIAL);                 // dV += P^T dZ
                }
            }
        });
    }

    private static void enter(StepProfile profile, Phase p) { if (profile != null) profile.enter(p); }

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /** This thread's scratch of at least n floats, reused across calls. */
    private static float[] scratch(int n) {
        float[] f = SCRATCH.get();
        if (f.length < n) { f = new float[n]; SCRATCH.set(f); }
        return f;
    }
}
