package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * y += alpha x on float32 slices, as a multiply and a separate add (not a fused multiply-add), so
 * {@link #vector} gives lane for lane the bits of {@link #scalar}: callers may pick either by speed.
 */
public final class Axpy {
    private static final VectorSpecies<Float> S = VectorExp.S;

    private Axpy() {}

    /** y[yOff + i] += alpha x[xOff + i] for i < n, vectorized. */
    public static void vector(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int upper = S.loopBound(n), i = 0;
        for (; i < upper; i += S.length())
            FloatVector.fromArray(S, x, xOff + i).mul(alpha).add(FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        for (; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    /** y[yOff + i] += alpha x[xOff + i] for i < n, one element at a time. */
    public static void scalar(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }
}
