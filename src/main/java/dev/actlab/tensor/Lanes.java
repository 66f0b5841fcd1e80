package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;

/**
 * Horizontal sums in a fixed order. {@code reduceLanes(ADD)} may add lanes in a different order
 * when interpreted than when compiled, which would make the same input give different bits.
 */
public final class Lanes {
    private Lanes() {}

    public static float sum(FloatVector v) {
        float[] lanes = new float[v.length()];
        v.intoArray(lanes, 0);
        // pairwise: lanes [i] += [i + half] until one is left
        for (int half = lanes.length >> 1; half > 0; half >>= 1)
            for (int i = 0; i < half; i++) lanes[i] += lanes[i + half];
        return lanes[0];
    }
}
