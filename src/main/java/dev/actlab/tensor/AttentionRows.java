package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Prefill attention of one (head, query) row over many keys, with the bits of the per-key kernels:
 * {@link #scores} gives every score as {@link Dot#vector} does (one FMA chain over the head per key,
 * then {@link Lanes#sum}) but four keys per pass over q, so that q is loaded once for four chains
 * that run side by side; {@link #mix} gives z as {@link Axpy#vector} called once per key in order
 * does (z += p_j v_j, a multiply then an add per element), but with z held in registers over all
 * keys instead of loaded and stored per key. Heads that are not whole vectors use those kernels.
 */
public final class AttentionRows {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private AttentionRows() {}

    /** row[off + j] = Dot.vector(q, qOff, keys, kOff + j stride, hs) * scale for j < count. */
    public static void scores(float[] q, int qOff, float[] keys, int kOff, int stride, int hs, float scale, int count, float[] row, int off) {
        int j = 0;
        if (hs % L == 0) {
            for (; j + 4 <= count; j += 4) {
                int k0 = kOff + j * stride, k1 = k0 + stride, k2 = k1 + stride, k3 = k2 + stride;
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int i = 0; i < hs; i += L) {
                    FloatVector qv = FloatVector.fromArray(S, q, qOff + i);
                    a0 = qv.fma(FloatVector.fromArray(S, keys, k0 + i), a0);
                    a1 = qv.fma(FloatVector.fromArray(S, keys, k1 + i), a1);
                    a2 = qv.fma(FloatVector.fromArray(S, keys, k2 + i), a2);
                    a3 = qv.fma(FloatVector.fromArray(S, keys, k3 + i), a3);
                }
                row[off + j] = Lanes.sum(a0) * scale;
                row[off + j + 1] = Lanes.sum(a1) * scale;
                row[off + j + 2] = Lanes.sum(a2) * scale;
                row[off + j + 3] = Lanes.sum(a3) * scale;
            }
        }
        for (; j < count; j++) row[off + j] = Dot.vector(q, qOff, keys, kOff + j * stride, hs) * scale;
    }

    /** z[zOff + i] += p[pOff + j] values[vOff + j stride + i] for i < hs, over j < count in order. */
    public static void mix(float[] p, int pOff, float[] values, int vOff, int stride, int hs, int count, float[] z, int zOff) {
        if (hs % L != 0) {
            for (int j = 0; j < count; j++) Axpy.vector(p[pOff + j], values, vOff + j * stride, z, zOff, hs);
            return;
        }
        int i = 0;
        for (; i + 4 * L <= hs; i += 4 * L) {   // four vectors of z at a time, over all keys
            FloatVector z0 = FloatVector.fromArray(S, z, zOff + i), z1 = FloatVector.fromArray(S, z, zOff + i + L);
            FloatVector z2 = FloatVector.fromArray(S, z, zOff + i + 2 * L), z3 = FloatVector.fromArray(S, z, zOff + i + 3 * L);
            for (int j = 0, v = vOff + i; j < count; j++, v += stride) {
                float pj = p[pOff + j];
                z0 = FloatVector.fromArray(S, values, v).mul(pj).add(z0);
                z1 = FloatVector.fromArray(S, values, v + L).mul(pj).add(z1);
                z2 = FloatVector.fromArray(S, values, v + 2 * L).mul(pj).add(z2);
                z3 = FloatVector.fromArray(S, values, v + 3 * L).mul(pj).add(z3);
            }
            z0.intoArray(z, zOff + i); z1.intoArray(z, zOff + i + L); z2.intoArray(z, zOff + i + 2 * L); z3.intoArray(z, zOff + i + 3 * L);
        }
        for (; i < hs; i += L) {
            FloatVector z0 = FloatVector.fromArray(S, z, zOff + i);
            for (int j = 0, v = vOff + i; j < count; j++, v += stride) z0 = FloatVector.fromArray(S, values, v).mul(p[pOff + j]).add(z0);
            z0.intoArray(z, zOff + i);
        }
    }
}
