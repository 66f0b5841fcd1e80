package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decode attention's scores position by position: the dots of several heads' queries with one cached position's
 * keys, which lie side by side in the cache ([positions, kv_heads, head_size]). Walking the cache one position at a
 * time reads it as one sequential stream; walking one head at a time reads a head_size slice every kv_heads x
 * head_size floats, which the hardware prefetchers follow badly once decode's weights have evicted the cache
 * (the 110M's attention: ~70-100 us a layer cold against ~15 hot). Each dot is {@link Dot#vector}'s arithmetic,
 * so the same bits; four heads per pass give four independent FMA chains.
 */
public final class AttentionRows {
    private static final VectorSpecies<Float> S = VectorExp.S;
    private static final int L = S.length();

    private AttentionRows() {}

    /**
     * For heads h in [h0, h1): rows[(h - h0) rowStride + j] = dot(q[qOff + h hs, + hs), keys[j kvDim + (h / group) hs, + hs)) * scale,
     * each dot exactly {@link Dot#vector}, for the one position j.
     */
    public static void scoresAt(int j, float[] q, int qOff, float[] keys, int kvDim, int group, int hs, int h0, int h1,
                                float scale, float[] rows, int rowStride) {
        int upper = S.loopBound(hs), base = j * kvDim, h = h0;
        for (; h + 4 <= h1; h += 4) {
            int q0 = qOff + h * hs, q1 = q0 + hs, q2 = q1 + hs, q3 = q2 + hs;
            int k0 = base + (h / group) * hs, k1 = base + ((h + 1) / group) * hs, k2 = base + ((h + 2) / group) * hs, k3 = base + ((h + 3) / group) * hs;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < upper; i += L) {
                a0 = FloatVector.fromArray(S, q, q0 + i).fma(FloatVector.fromArray(S, keys, k0 + i), a0);
                a1 = FloatVector.fromArray(S, q, q1 + i).fma(FloatVector.fromArray(S, keys, k1 + i), a1);
                a2 = FloatVector.fromArray(S, q, q2 + i).fma(FloatVector.fromArray(S, keys, k2 + i), a2);
                a3 = FloatVector.fromArray(S, q, q3 + i).fma(FloatVector.fromArray(S, keys, k3 + i), a3);
            }
            float s0 = Lanes.sum(a0), s1 = Lanes.sum(a1), s2 = Lanes.sum(a2), s3 = Lanes.sum(a3);
            for (int i = upper; i < hs; i++) {
                s0 += q[q0 + i] * keys[k0 + i]; s1 += q[q1 + i] * keys[k1 + i];
                s2 += q[q2 + i] * keys[k2 + i]; s3 += q[q3 + i] * keys[k3 + i];
            }
            int r = (h - h0) * rowStride + j;
            rows[r] = s0 * scale; rows[r + rowStride] = s1 * scale; rows[r + 2 * rowStride] = s2 * scale; rows[r + 3 * rowStride] = s3 * scale;
        }
        for (; h < h1; h++) rows[(h - h0) * rowStride + j] = Dot.vector(q, qOff + h * hs, keys, base + (h / group) * hs, hs) * scale;
    }
}
