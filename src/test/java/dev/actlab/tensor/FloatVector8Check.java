package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;

/** Compares F16Matrix's vector conversion with Float.float16ToFloat lane by lane. */
final class FloatVector8Check {
    private FloatVector8Check() {}

    static void check(MemorySegment m, short[] specials) {
        float[] lanes = new float[16];
        F16Matrix.load(m, 0).intoArray(lanes, 0);
        F16Matrix.load(m, 16).intoArray(lanes, 8);
        for (int i = 0; i < 16; i++) {
            float expected = Float.float16ToFloat(specials[i % specials.length]);
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(lanes[i]), "lane " + i + " half 0x" + Integer.toHexString(specials[i % specials.length] & 0xffff));
        }
    }
}
