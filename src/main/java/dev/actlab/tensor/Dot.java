package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of float32 slices: {@link #vector} (one FMA chain per lane over whole vectors, the
 * fixed-order lane sum, then the scalar tail) and {@link #scalar} (one multiply and add at a time).
 * They round differently, so a caller picks one per shape and keeps it: the same shape then gives
 * the same bits everywhere (prefill and decode, any thread count).
 */
public final class Dot {
    private static final VectorSpecies<Float> S = VectorExp.S;

    private Dot() {}

    /** sum_i a[aOff + i] b[bOff + i], vectorized. */
    public static float vector(float[] a, int aOff, float[] b, int bOff, int n) {
        int upper = S.loopBound(n), i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i < upper; i += S.length())
            acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
        float s = Lanes.sum(acc);
        for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /** sum_i a[aOff + i] b[bOff + i] in index order. */
    public static float scalar(float[] a, int aOff, float[] b, int bOff, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }
}
