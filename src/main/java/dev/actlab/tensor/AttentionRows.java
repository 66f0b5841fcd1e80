package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decode attention's two loops over the cached positions of one head, with {@link Dot#vector}'s and
 * {@link Axpy#vector}'s arithmetic per element, so the same bits: the scores of four keys per pass (four
 * independent FMA chains sharing q's loads, instead of one chain and one lane sum at a time), and the
 * probability-weighted sum of the values with the output held in registers across all positions
 * (instead of loaded and stored once per position).
 */
public final class AttentionRows {
    private static final VectorSpecies<Float> S = VectorExp.S;
    private static final int L = S.length();

    private AttentionRows() {}

    /**
     * row[rowOff + j] = dot(q[qOff, qOff + hs), keys[kOff + j kStride, + hs)) * scale for j < count,
     * each dot exactly {@link Dot#vector}.
     */
    public static void scores(float[] q, int qOff, float[] keys, int kOff, int kStride, int hs, float scale,
                              float[] row, int rowOff, int count) {
        int upper = S.loopBound(hs), j = 0;
        for (; j + 4 <= count; j += 4) {
            int k0 = kOff + j * kStride, k1 = k0 + kStride, k2 = k1 + kStride, k3 = k2 + kStride;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < upper; i += L) {
                FloatVector qv = FloatVector.fromArray(S, q, qOff + i);
                a0 = qv.fma(FloatVector.fromArray(S, keys, k0 + i), a0);
                a1 = qv.fma(FloatVector.fromArray(S, keys, k1 + i), a1);
                a2 = qv.fma(FloatVector.fromArray(S, keys, k2 + i), a2);
                a3 = qv.fma(FloatVector.fromArray(S, keys, k3 + i), a3);
            }
            float s0 = Lanes.sum(a0), s1 = Lanes.sum(a1), s2 = Lanes.sum(a2), s3 = Lanes.sum(a3);
            for (int i = upper; i < hs; i++) {
                float qi = q[qOff + i];
                s0 += qi * keys[k0 + i]; s1 += qi * keys[k1 + i]; s2 += qi * keys[k2 + i]; s3 += qi * keys[k3 + i];
            }
            row[rowOff + j] = s0 * scale; row[rowOff + j + 1] = s1 * scale;
            row[rowOff + j + 2] = s2 * scale; row[rowOff + j + 3] = s3 * scale;
        }
        for (; j < count; j++) row[rowOff + j] = Dot.vector(q, qOff, keys, kOff + j * kStride, hs) * scale;
    }

    /**
     * z[zOff, zOff + hs) = sum over j < count of p[pOff + j] values[vOff + j vStride, + hs), in j order from
     * zero, each step p v + z rounded as {@link Axpy#vector} rounds it (a multiply, then an add).
     */
    public static void mix(float[] p, int pOff, float[] values, int vOff, int vStride, int hs,
                           float[] z, int zOff, int count) {
        int upper = S.loopBound(hs), i = 0;
        for (; i + 4 * L <= upper; i += 4 * L) {   // four vectors of z at a time, in registers over all positions
            FloatVector z0 = FloatVector.zero(S), z1 = z0, z2 = z0, z3 = z0;
            for (int j = 0; j < count; j++) {
                float pj = p[pOff + j];
                int o = vOff + j * vStride + i;
                z0 = FloatVector.fromArray(S, values, o).mul(pj).add(z0);
                z1 = FloatVector.fromArray(S, values, o + L).mul(pj).add(z1);
                z2 = FloatVector.fromArray(S, values, o + 2 * L).mul(pj).add(z2);
                z3 = FloatVector.fromArray(S, values, o + 3 * L).mul(pj).add(z3);
            }
            z0.intoArray(z, zOff + i); z1.intoArray(z, zOff + i + L);
            z2.intoArray(z, zOff + i + 2 * L); z3.intoArray(z, zOff + i + 3 * L);
        }
        for (; i < upper; i += L) {
            FloatVector z0 = FloatVector.zero(S);
            for (int j = 0; j < count; j++) z0 = FloatVector.fromArray(S, values, vOff + j * vStride + i).mul(p[pOff + j]).add(z0);
            z0.intoArray(z, zOff + i);
        }
        for (; i < hs; i++) {
            float s = 0;
            for (int j = 0; j < count; j++) s += p[pOff + j] * values[vOff + j * vStride + i];
            z[zOff + i] = s;
        }
    }
}
