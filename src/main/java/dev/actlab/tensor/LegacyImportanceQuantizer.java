package dev.actlab.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The importance-weighted forms of llama.cpp's Q4_0, Q4_1, Q5_0 and Q5_1 quantizers (what
 * llama-quantize uses for these types when given an imatrix; ggml-quants.c quantize_row_q4_0_impl and
 * friends), reimplemented from their published behaviour. Per block of 32: element weights
 * imp_j * sqrt(sigma2 + x_j^2), sigma2 the mean of x^2 over the whole row; Q4_0 and Q5_0 take the
 * symmetric search (make_qx_quants, 8 or 16 levels each side), Q4_1 and Q5_1 the asymmetric one
 * (make_qkx3_quants: 15 or 31 steps, rmin -0.9, rdelta 0.05, 36 steps). Block layouts as the
 * unweighted quantizers of {@link Q4_0Matrix} etc.
 */
public final class LegacyImportanceQuantizer {
    private LegacyImportanceQuantizer() {}

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    /** Whether type has a weighted form here. */
    public static boolean writes(DType type) {
        return type == DType.Q4_0 || type == DType.Q4_1 || type == DType.Q5_0 || type == DType.Q5_1;
    }

    /**
     * One row of n floats (a multiple of 32) from src[off..] to type's blocks at dst[dstOff..], weighted
     * by importance[0..n) (one value per column).
     */
    public static void quantize(DType type, float[] src, int off, int n, float[] importance, MemorySegment dst, long dstOff) {
        if (!writes(type)) throw new IllegalArgumentException("no importance-weighted legacy quantizer for " + type);
        float sumX2 = 0;
        for (int j = 0; j < n; j++) sumX2 += src[off + j] * src[off + j];
        float sigma2 = sumX2 / n;
        float[] w = new float[32], minOut = new float[1];
        int[] L = new int[32], aux = new int[32];
        for (int b = 0; b < n / 32; b++, off += 32, dstOff += type.blockBytes) {
            for (int j = 0; j < 32; j++) {
                float x = src[off + j];
                w[j] = importance[b * 32 + j] * (float) Math.sqrt(sigma2 + x * x);
            }
            switch (type) {
                case Q4_0 -> {
                    float d = KQuantSearch.makeQxQuants(32, 8, src, off, L, 0, 1, w, 0);
                    dst.set(I16, dstOff, Float.floatToFloat16(d));
                    for (int j = 0; j < 16; j++) dst.set(ValueLayout.JAVA_BYTE, dstOff + 2 + j, (byte) (L[j] | L[j + 16] << 4));
                }
                case Q5_0 -> {
                    float d = KQuantSearch.makeQxQuants(32, 16, src, off, L, 0, 1, w, 0);
                    dst.set(I16, dstOff, Float.floatToFloat16(d));
                    dst.set(Q5_0Matrix.U32, dstOff + 2, packFifth(L, dst, dstOff + 6));
                }
                case Q4_1 -> {
                    float d = KQuantSearch.makeQkxQuants(32, 15, src, off, w, 0, L, 0, minOut, aux, -0.9f, 0.05f, 36, false);
                    dst.set(I16, dstOff, Float.floatToFloat16(d));
                    dst.set(I16, dstOff + 2, Float.floatToFloat16(-minOut[0]));   // m = the block's minimum (<= 0)
                    for (int j = 0; j < 16; j++) dst.set(ValueLayout.JAVA_BYTE, dstOff + 4 + j, (byte) (L[j] | L[j + 16] << 4));
                }
                case Q5_1 -> {
                    float d = KQuantSearch.makeQkxQuants(32, 31, src, off, w, 0, L, 0, minOut, aux, -0.9f, 0.05f, 36, false);
                    dst.set(I16, dstOff, Float.floatToFloat16(d));
                    dst.set(I16, dstOff + 2, Float.floatToFloat16(-minOut[0]));
                    dst.set(Q5_0Matrix.U32, dstOff + 4, packFifth(L, dst, dstOff + 8));
                }
                default -> throw new IllegalStateException(type.toString());
            }
        }
    }

    /** Low nibbles of levels j and j + 16 into byte j at qs; returns the fifth bits (bit j, bit j + 16). */
    private static int packFifth(int[] L, MemorySegment dst, long qs) {
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            dst.set(ValueLayout.JAVA_BYTE, qs + j, (byte) ((L[j] & 0xF) | (L[j + 16] & 0xF) << 4));
            qh |= ((L[j] >> 4) & 1) << j | ((L[j + 16] >> 4) & 1) << (j + 16);
        }
        return qh;
    }
}
