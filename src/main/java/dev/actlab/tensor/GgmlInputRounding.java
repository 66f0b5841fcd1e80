package dev.actlab.tensor;

/**
 * The values a matmul input takes in ggml's CPU backend (llama.cpp) before its dot products with
 * weights of a given type: ggml converts each input row to the weights' "vec_dot_type" and multiplies
 * in that form. Rounding the row to the values that form represents, then multiplying in float32, gives
 * the same products up to float32 summation order.
 *
 * <p>The rules are those ggml 0.9.7 runs on an x86 CPU with AVX2 (quantize_row_q8_0 in
 * arch/x86/quants.c, and the 4-row form the repacked Q4_0/Q4_K kernels use, which rounds the same way;
 * quantize_row_q8_K_ref), not the portable reference quantizer, which rounds Q8_0 ties away from zero:
 * <ul>
 * <li>{@link #Q8_0} (for Q8_0, Q4_0, Q5_0, IQ4_NL, MXFP4 weights): per block of 32, amax = max |x|;
 *     d = amax / 127 stored as F16; q = round-half-even(x * (127 / amax)); value = F16(d) * q.</li>
 * <li>{@link #Q8_K} (for the K-quants): per block of 256, s = 127 / amax; q = round-half-even(x * s);
 *     value = (1 / s) * q, the scale a float32 (the sign ggml gives s cancels).</li>
 * <li>{@link #F16}, {@link #BF16} (for F16, BF16 weights): each value rounded to the nearest, ties to even.</li>
 * </ul>
 * Q4_1 and Q5_1 weights use Q8_1, whose dot product also adds the weights' block minimum times a
 * separately rounded block sum; input rounding alone cannot give that, so they have no entry.
 */
public enum GgmlInputRounding {
    /** F32 weights: the input is used as it is. */
    NONE(1),
    F16(1),
    BF16(1),
    Q8_0(32),
    Q8_K(256);

    /** Values rounded together (one scale per block). */
    public final int blockSize;

    GgmlInputRounding(int blockSize) { this.blockSize = blockSize; }

    /** The rounding ggml applies to the input of a matmul with weights of this type. */
    public static GgmlInputRounding forWeights(DType weights) {
        return switch (weights) {
            case F32 -> NONE;
            case F16 -> F16;
            case BF16 -> BF16;
            case Q8_0, Q4_0, Q5_0, IQ4_NL, MXFP4 -> Q8_0;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> Q8_K;
            default -> throw new IllegalArgumentException("llama.cpp's input rounding for " + weights
                    + " weights is not emulated (Q4_1 and Q5_1 dot products with Q8_1 inputs add a separately rounded block sum)");
        };
    }

    /** Rounds x[off, off + n) in place; n must be a multiple of {@link #blockSize}. */
    public void round(float[] x, int off, int n) {
        if (n % blockSize != 0) throw new IllegalArgumentException(name() + " rounds whole blocks of " + blockSize + ", got " + n + " values");
        switch (this) {
            case NONE -> { }
            case F16 -> { for (int i = off; i < off + n; i++) x[i] = Float.float16ToFloat(Float.floatToFloat16(x[i])); }
            case BF16 -> { for (int i = off; i < off + n; i++) x[i] = toBf16(x[i]); }
            case Q8_0 -> { for (int b = off; b < off + n; b += 32) q8_0Block(x, b); }
            case Q8_K -> { for (int b = off; b < off + n; b += 256) q8_KBlock(x, b); }
        }
    }

    private static void q8_0Block(float[] x, int off) {
        float amax = amax(x, off, 32);
        float d = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
        float id = amax != 0f ? 127f / amax : 0f;
        for (int i = off; i < off + 32; i++) x[i] = d * (float) Math.rint(x[i] * id);   // F16 x 8-bit integer: exact
    }

    /**
     * The Q8_0 block x[off, off + 32) as {@link #Q8_0} rounds it, kept as integers: q[j] = its j-th value / d
     * (in -127..127), packed two to an int (value 2k in the low 16 bits of qPairs[pairOff + k], 2k + 1 in the
     * high 16 bits, so a 256-bit int load read as shorts has them in order); returns d. d * q[j] is the
     * rounded value {@link #round} gives.
     */
    static float q8_0Ints(float[] x, int off, int[] qPairs, int pairOff) {
        float amax = amax(x, off, 32);
        float d = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
        float id = amax != 0f ? 127f / amax : 0f;
        for (int k = 0; k < 16; k++) {
            int lo = (int) Math.rint(x[off + 2 * k] * id), hi = (int) Math.rint(x[off + 2 * k + 1] * id);
            qPairs[pairOff + k] = (lo & 0xFFFF) | (hi << 16);
        }
        return d;
    }

    private static void q8_KBlock(float[] x, int off) {
        float amax = amax(x, off, 256);
        if (amax == 0f) { java.util.Arrays.fill(x, off, off + 256, 0f); return; }
        float s = 127f / amax, d = 1f / s;
        for (int i = off; i < off + 256; i++) x[i] = d * (float) Math.rint(x[i] * s);
    }

    private static float amax(float[] x, int off, int n) {
        float m = 0f;
        for (int i = off; i < off + n; i++) m = Math.max(m, Math.abs(x[i]));
        return m;
    }

    /** Nearest bfloat16, ties to even (a NaN stays a NaN), as float32. */
    private static float toBf16(float f) {
        if (Float.isNaN(f)) return f;
        int u = Float.floatToRawIntBits(f);
        return Float.intBitsToFloat(((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) << 16);
    }
}
