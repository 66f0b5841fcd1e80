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
    /** ROTATE[k]: lane i takes lane (i + 2^k) mod length, for the preferred species. */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] ROTATE = new VectorShuffle[Integer.numberOfTrailingZeros(S.length())];
    static {
        for (int k = 0; k < ROTATE.length; k++) {
            int half = 1 << k;
            ROTATE[k] = VectorShuffle.fromOp(S, i -> (i + half) % S.length());
        }
    }

    public static float sum(FloatVector v) {
        if (v.species() != S) return sumScalar(v);
        // the same additions as sumScalar, done on whole vectors (lanes past half are not used)
        for (int k = ROTATE.length - 1; k >= 0; k--) v = v.add(v.rearrange(ROTATE[k]));
        return v.lane(0);
    }

    /** The reference order, one lane at a time. */
    static float sumScalar(FloatVector v) {
        float[] lanes = new float[v.length()];
        v.intoArray(lanes, 0);
        for (int half = lanes.length >> 1; half > 0; half >>= 1)
            for (int i = 0; i < half; i++) lanes[i] += lanes[i + half];
        return lanes[0];
    }
}
