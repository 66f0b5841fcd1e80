package dev.actlab.tensor;

import java.lang.foreign.MemorySegment;

/**
 * The block header that ggml's "_1" types (Q4_1, Q5_1) share, as quantize_row_q4_1_ref and
 * quantize_row_q5_1_ref write it: f16 d = (max - min) / levels, then f16 min. The quants are
 * then (x - min) / d rounded, with the float min and 1/d (not their f16 roundings).
 */
record MinScaleHeader(float min, float inverseScale) {
    /** Scans the 32 weights at src[off], writes the 4-byte header at dstOff, returns min and 1/d. */
    static MinScaleHeader write(float[] src, int off, int levels, MemorySegment dst, long dstOff) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = src[off + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / levels;
        dst.set(PackedMatrix.I16, dstOff, Float.floatToFloat16(d));
        dst.set(PackedMatrix.I16, dstOff + 2, Float.floatToFloat16(min));
        return new MinScaleHeader(min, d != 0 ? 1f / d : 0f);
    }
}
