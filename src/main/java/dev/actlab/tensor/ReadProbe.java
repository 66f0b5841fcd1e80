package dev.actlab.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The inner loop of the machine's read-bandwidth measurement: off-heap floats summed with four
 * vector accumulators, the way the decode kernels stream weights. {@link #reference} adds the same
 * values in the same order one at a time.
 */
public final class ReadProbe {
    private static final VectorSpecies<Float> S = VectorExp.S;
    private static final int L = S.length();
    /** A probed range is a whole number of these bytes: one step of the four accumulators. */
    public static final long STEP_BYTES = 4L * S.vectorByteSize();

    private ReadProbe() {}

    /** The sum of the little-endian floats in m[off, off + bytes), bytes a multiple of {@link #STEP_BYTES}. */
    public static float sum(MemorySegment m, long off, long bytes) {
        check(bytes);
        FloatVector a = FloatVector.zero(S), b = FloatVector.zero(S), c = FloatVector.zero(S), d = FloatVector.zero(S);
        long step = S.vectorByteSize();
        for (long o = off, end = off + bytes; o < end; o += 4 * step) {
            a = a.add(FloatVector.fromMemorySegment(S, m, o, ByteOrder.LITTLE_ENDIAN));
            b = b.add(FloatVector.fromMemorySegment(S, m, o + step, ByteOrder.LITTLE_ENDIAN));
            c = c.add(FloatVector.fromMemorySegment(S, m, o + 2 * step, ByteOrder.LITTLE_ENDIAN));
            d = d.add(FloatVector.fromMemorySegment(S, m, o + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return Lanes.sum(a.add(b).add(c.add(d)));
    }

    /** {@link #sum} one float at a time: per lane four running sums, ((a + b) + (c + d)), then the lanes pairwise. */
    public static float reference(MemorySegment m, long off, long bytes) {
        check(bytes);
        float[][] acc = new float[4][L];
        ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long o = off, end = off + bytes; o < end; o += STEP_BYTES)
            for (int v = 0; v < 4; v++)
                for (int l = 0; l < L; l++) acc[v][l] += m.get(f, o + (v * L + l) * 4L);
        float[] lanes = new float[L];
        for (int l = 0; l < L; l++) lanes[l] = (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l]);
        for (int half = L >> 1; half > 0; half >>= 1)
            for (int i = 0; i < half; i++) lanes[i] += lanes[i + half];
        return lanes[0];
    }

    private static void check(long bytes) {
        if (bytes % STEP_BYTES != 0) throw new IllegalArgumentException(bytes + " bytes is not a multiple of " + STEP_BYTES);
    }
}
