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
        for (int j = 0; j < 4; j++) {
            int a = q(m, offset, j), b = q(m, offset, j + 4), c = q(m, offset, j + 8);
            scale[j] = a & 63;
            min[j] = b & 63;
            scale[j + 4] = (c & 0xF) | ((a >> 6) << 4);
            min[j + 4] = (c >> 4) | ((b >> 6) << 4);
        }
    }

    /** Encodes scale[0..8) and min[0..8) (each 0..63) into the 12 bytes at offset: the inverse of {@link #decode}. */
    static void encode(int[] scale, int[] min, MemorySegment m, long offset) {
        byte[] b = new byte[12];
        for (int j = 0; j < 4; j++) {
            b[j] = (byte) (scale[j] | ((scale[j + 4] >> 4) << 6));
            b[j + 4] = (byte) (min[j] | ((min[j + 4] >> 4) << 6));
            b[j + 8] = (byte) ((scale[j + 4] & 0xF) | ((min[j + 4] & 0xF) << 4));
        }
        MemorySegment.copy(b, 0, m, ValueLayout.JAVA_BYTE, offset, 12);
    }

    private static int q(MemorySegment m, long offset, int i) { return m.get(ValueLayout.JAVA_BYTE, offset + i) & 0xFF; }
}
