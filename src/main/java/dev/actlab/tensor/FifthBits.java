package dev.actlab.tensor;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The fifth bits of Q5_0/Q5_1 weights on int lanes: a block keeps them in one 32-bit word qh, bit j
 * for weight j. Lane i of {@link #of} is bit (first + i) of qh, moved to bit 4 (value 0 or 16).
 */
final class FifthBits {
    private static final int[] LANE = new int[QuantLanes.L];
    static { for (int i = 0; i < LANE.length; i++) LANE[i] = i; }
    private static final IntVector LANE_INDEX = IntVector.fromArray(QuantLanes.I, LANE, 0);

    private FifthBits() {}

    static IntVector of(int qh, int first) {
        return IntVector.broadcast(QuantLanes.I, qh >>> first).lanewise(VectorOperators.LSHR, LANE_INDEX).and(1).lanewise(VectorOperators.LSHL, 4);
    }
}
