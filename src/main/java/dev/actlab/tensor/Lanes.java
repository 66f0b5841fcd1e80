package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Horizontal sums in a fixed order. {@code reduceLanes(ADD)} may add lanes in a different order
 * when interpreted than when compiled, which would make the same input give different bits.
 * The order here is pairwise: lanes [i] += [i + half] for half = length / 2, ..., 1.
 */
public final class Lanes {
    private Lanes() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /*
     * ROTATE_K: lane i takes lane (i + K) mod length. One constant field per step, not an array: C2
     * intrinsifies rearrange only for a shuffle whose class it knows, and an array element is not a
     * constant; where it did not, every call ran the Java fallback and allocated (tens of MB a token).
     */
    private static final VectorShuffle<Float> ROTATE_1 = rotate(1), ROTATE_2 = rotate(2), ROTATE_4 = rotate(4), ROTATE_8 = rotate(8);

    private static VectorShuffle<Float> rotate(int k) { return VectorShuffle.fromOp(S, i -> (i + k) % S.length()); }

    public static float sum(FloatVector v) {
        if (v.species() != S || S.length() > 16) return sumScalar(v);
        // the same additions as sumScalar, done on whole vectors (lanes past half are not used)
        int n = S.length();
        if (n >= 16) v = v.add(v.rearrange(ROTATE_8));
        if (n >= 8) v = v.add(v.rearrange(ROTATE_4));
        if (n >= 4) v = v.add(v.rearrange(ROTATE_2));
        if (n >= 2) v = v.add(v.rearrange(ROTATE_1));
        return v.lane(0);
    }

    /** The reference order, one lane at a time. */
    static float sumScalar(FloatVector v) {
        float[] lanes = new float[v.length()];
        v.intoArray(lanes, 0);
        return sumInPlace(lanes, 0, lanes.length);
    }

    /**
     * {@link #sum}'s order (pairwise halves) for the n lanes at a[off ...], n a power of two, in place: for kernels
     * that keep lanes in scratch, where a vector passed to a call C2 does not inline would be boxed.
     */
    static float sumInPlace(float[] a, int off, int n) {
        for (int half = n >> 1; half > 0; half >>= 1)
            for (int i = 0; i < half; i++) a[off + i] += a[off + i + half];
        return a[off];
    }
}
