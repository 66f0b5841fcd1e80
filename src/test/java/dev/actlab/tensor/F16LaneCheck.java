package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;

/** Compares F16Matrix's vector conversion with Float.float16ToFloat lane by lane. */
final class F16LaneCheck {
    private F16LaneCheck() {}

    static void check(MemorySegment m, short[] specials) {
        int L = QuantLanes.L;
        float[] lanes = new float[16];
        for (int i = 0; i < 16; i += L) F16Matrix.load(m, 2L * i).intoArray(lanes, i);
        for (int i = 0; i < 16; i++) {
            float expected = Float.float16ToFloat(specials[i % specials.length]);
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(lanes[i]), "lane " + i + " half 0x" + Integer.toHexString(specials[i % specials.length] & 0xffff));
        }
    }
}
