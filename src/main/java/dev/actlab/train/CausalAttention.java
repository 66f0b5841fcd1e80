package dev.actlab.train;

import dev.actlab.tensor.Parallel;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

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
     * products (Matmul.gemm on strided views of the head's rows) that skip the blocks the causal
     * mask zeroes: scores above the diagonal, probabilities of later positions.
     */
    public void forward(float[] z, float[] att, float[] q, float[] k, float[] v, Parallel par) {
        int T = seqLen, hs = headSize, group = heads / kvHeads, qStride = heads * hs, kStride = kvHeads * hs;
        float scale = (float) (1.0 / Math.sqrt(hs));
        par.forRange(batch * heads, 1, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / heads, h = bh % heads, g = h / group;
                int qo = (b * T * heads + h) * hs, ko = (b * T * kvHeads + g) * hs, po = bh * T * T;
                Arrays.fill(att, po, po + T * T, 0f);
                Matmul.gemm(att, po, T, q, qo, qStride, false, k, ko, kStride, true, T, hs, T,
                        Matmul.Zeros.C_ABOVE_DIAGONAL, Matmul.SERIAL);                     // scores [T, T] = Q K^T
                for (int t = 0; t < T; t++) {
                    softmaxRow(att, po + t * T, t + 1, T, scale);
                    Arrays.fill(z, qo + t * qStride, qo + t * qStride + hs, 0f);
                }
                Matmul.gemm(z, qo, qStride, att, po, T, false, v, ko, kStride, false, T, T, hs,
                        Matmul.Zeros.A_ABOVE_DIAGONAL, Matmul.SERIAL);                     // z [T, hs] = P V
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
        int T = seqLen, hs = headSize, group = heads / kvHeads, qStride = heads * hs, kStride = kvHeads * hs;
        float scale = (float) (1.0 / Math.sqrt(hs));
        par.forRange(batch * kvHeads, 1, (from, to) -> {
            float[] ds = scratch(T * T);
            for (int bg = from; bg < to; bg++) {
                int b = bg / kvHeads, g = bg % kvHeads, ko = (b * T * kvHeads + g) * hs;
                for (int h = g * group; h < (g + 1) * group; h++) {
                    int bh = b * heads + h, qo = (b * T * heads + h) * hs, po = bh * T * T;
                    Arrays.fill(ds, 0, T * T, 0f);
                    Matmul.gemm(ds, 0, T, dz, qo, qStride, false, v, ko, kStride, true, T, hs, T,
                            Matmul.Zeros.C_ABOVE_DIAGONAL, Matmul.SERIAL);                 // dP [T, T] = dZ V^T
                    for (int t = 0; t < T; t++) softmaxBackwardRow(ds, t * T, att, po + t * T, t + 1, scale);
                    Matmul.gemm(dq, qo, qStride, ds, 0, T, false, k, ko, kStride, false, T, T, hs,
                            Matmul.Zeros.A_ABOVE_DIAGONAL, Matmul.SERIAL);                 // dQ += dS K
                    Matmul.gemm(dk, ko, kStride, ds, 0, T, true, q, qo, qStride, false, T, T, hs,
                            Matmul.Zeros.A_BELOW_DIAGONAL, Matmul.SERIAL);                 // dK += dS^T Q
                    Matmul.gemm(dv, ko, kStride, att, po, T, true, dz, qo, qStride, false, T, T, hs,
                            Matmul.Zeros.A_BELOW_DIAGONAL, Matmul.SERIAL);                 // dV += P^T dZ
                }
            }
        });
    }

    /**
     * One row of probabilities in place: x[i] = softmax(x * scale) over the row's first len
     * entries (the causal ones), zeros after them up to cap. The last partial vector is computed
     * as a vector with its lanes past len masked (to -inf for the max, to 0 after the exp), when
     * it lies inside the row; otherwise the scalar twin of VectorExp.exp finishes the row.
     */
    private static void softmaxRow(float[] x, int off, int len, int cap, float scale) {
        int L = S.length(), full = S.loopBound(len), i;
        boolean tail = full < len && full + L <= cap;
        VectorMask<Float> in = tail ? S.indexInRange(full, len) : null;
        FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (i = 0; i < full; i += L) mx = mx.max(FloatVector.fromArray(S, x, off + i));
        if (tail) mx = mx.max(FloatVector.fromArray(S, x, off + full).blend(Float.NEGATIVE_INFINITY, in.not()));
        float max = mx.reduceLanes(VectorOperators.MAX);   // max is exact in any order
        for (i = full; !tail && i < len; i++) max = Math.max(max, x[off + i]);
        max *= scale;   // = the max of the scaled scores: rounding is monotonic and scale > 0
        FloatVector acc = FloatVector.zero(S);
        for (i = 0; i < full; i += L) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(S, x, off + i).mul(scale).sub(max));
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        if (tail) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(S, x, off + full).mul(scale).sub(max)).blend(0f, in.not());
            e.intoArray(x, off + full);
            acc = acc.add(e);
        }
        float sum = Matmul.laneSum(acc);
        for (i = full; !tail && i < len; i++) { float e = VectorExp.exp(x[off + i] * scale - max); x[off + i] = e; sum += e; }
        float inv = 1f / sum;
        int end = tail ? full + L : full;
        for (i = 0; i < end; i += L) FloatVector.fromArray(S, x, off + i).mul(inv).intoArray(x, off + i);
        for (i = end; i < len; i++) x[off + i] *= inv;
        Arrays.fill(x, off + Math.max(len, end), off + cap, 0f);
    }

    /**
     * One row of the softmax backward, in place: ds[i] = p[i] (ds[i] - sum_j p[j] ds[j]) * scale
     * over the row's first len entries (the causal ones), zeros after them up to T.
     */
    private void softmaxBackwardRow(float[] ds, int dOff, float[] p, int pOff, int len, float scale) {
        int L = S.length(), upper = S.loopBound(len), i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i < upper; i += L) acc = FloatVector.fromArray(S, p, pOff + i).fma(FloatVector.fromArray(S, ds, dOff + i), acc);
        float pdp = Matmul.laneSum(acc);
        for (; i < len; i++) pdp = Math.fma(p[pOff + i], ds[dOff + i], pdp);
        for (i = 0; i < upper; i += L) {
            FloatVector d = FloatVector.fromArray(S, ds, dOff + i).sub(pdp);
            FloatVector.fromArray(S, p, pOff + i).mul(d).mul(scale).intoArray(ds, dOff + i);
        }
        for (; i < len; i++) ds[dOff + i] = p[pOff + i] * (ds[dOff + i] - pdp) * scale;
        Arrays.fill(ds, dOff + len, dOff + seqLen, 0f);
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /** This thread's scratch of at least n floats, reused across calls. */
    private static float[] scratch(int n) {
        float[] f = SCRATCH.get();
        if (f.length < n) { f = new float[n]; SCRATCH.set(f); }
        return f;
    }
}
