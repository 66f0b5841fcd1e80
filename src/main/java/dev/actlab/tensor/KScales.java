package dev.actlab.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The 12 bytes of 6-bit scales and mins of a Q4_K / Q5_K super-block (8 sub-blocks of 32):
 * sub-blocks 0..3 keep scale and min in the low 6 bits of bytes j and j + 4; sub-blocks 4..7 take
 * their low 4 bits from byte j + 4 (scale: low nibble, min: high nibble) and their top 2 bits
 * from the spare top bits of bytes j - 4 (scale) and j (min).
 */
final class KScales {
    private KScales() {}

    /** Decodes into scale[0..8) and min[0..8). */
    static void decode(MemorySegment m, long offset, int[] scale, int[] min) {
        int[] q = new int[12];
        for (int i = 0; i < 12; i++) q[i] = m.get(ValueLayout.JAVA_BYTE, offset + i) & 0xFF;
        for (int j = 0; j < 4; j++) {
            scale[j] = q[j] & 63;
            min[j] = q[j + 4] & 63;
        }
        for (int j = 4; j < 8; j++) {
            scale[j] = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            min[j] = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
    }
}
