package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** How many entries of a float range are exactly zero (either sign; NaN is not zero): an integer, the same in any order. */
public final class ZeroCount {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private ZeroCount() {}

    /** The number of i in [from, to) with x[i] == 0f. */
    public static int count(float[] x, int from, int to) {
        int i = from, n = 0;
        for (int upper = from + S.loopBound(to - from); i < upper; i += L)
            n += FloatVector.fromArray(S, x, i).compare(VectorOperators.EQ, 0f).trueCount();
        return n + countScalar(x, i, to);
    }

    /** {@link #count} one element at a time. */
    public static int countScalar(float[] x, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) if (x[i] == 0f) n++;
        return n;
    }
}
