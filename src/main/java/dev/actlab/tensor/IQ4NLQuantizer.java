package dev.actlab.tensor;

import static dev.actlab.tensor.KQuantSearch.GROUP_MAX_EPS;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * llama.cpp's IQ4_NL quantizer (quantize_iq4_nl), reimplemented from its published behaviour: blocks of
 * 32 weights, each an index into the 16 non-uniform levels {@link IQ4NLMatrix#LEVELS} times one f16
 * scale. The scale starts at max / -127 (the element of largest magnitude on the most negative level),
 * is refitted by weighted least squares, and 15 nearby inverse scales (itry - 127) / max, itry = -7..7,
 * are tried, keeping the best fit; weights x^2, or with importance imp * sqrt(sigma2 + x^2). llama-quantize
 * uses it for Q2_K and Q3_K matrices whose rows are not whole 256-blocks.
 */
public final class IQ4NLQuantizer {
    private IQ4NLQuantizer() {}

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int NTRY = 7;

    /** Index of the level nearest x (ggml's best_index_int8: bisection, ties to the upper level). */
    static int bestIndex(float x) {
        int[] v = IQ4NLMatrix.LEVELS;
        if (x <= v[0]) return 0;
        if (x >= v[15]) return 15;
        int ml = 0, mu = 15;
        while (mu - ml > 1) {
            int mav = (ml + mu) / 2;
            if (x < v[mav]) mu = mav; else ml = mav;
        }
        return x - v[mu - 1] < v[mu] - x ? mu - 1 : mu;
    }

    /** src[off..off+n) (n a multiple of 32) to n / 32 blocks of 18 bytes; importance: one value per column, or null. */
    public static void quantize(float[] src, int off, int n, float[] importance, MemorySegment dst, long dstOff) {
        if (n % 32 != 0) throw new IllegalArgumentException("IQ4_NL needs a multiple of 32 values, got " + n);
        int[] v = IQ4NLMatrix.LEVELS, L = new int[32];
        float[] w = new float[32];
        for (int b = 0; b < n / 32; b++, off += 32, dstOff += 18) {
            float sigma2 = 0;
            for (int j = 0; j < 32; j++) sigma2 += src[off + j] * src[off + j];
            sigma2 *= 2f / 32;
            for (int j = 0; j < 32; j++) {
                float x = src[off + j];
                w[j] = importance != null ? importance[b * 32 + j] * (float) Math.sqrt(sigma2 + x * x) : x * x;
            }
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++) {
                float ax = Math.abs(src[off + j]);
                if (ax > amax) { amax = ax; max = src[off + j]; }
            }
            float scale = 0;
            if (amax >= GROUP_MAX_EPS) {
                float d = -max / v[0], id = 1 / d;
                float sumqx = 0, sumq2 = 0;
                for (int j = 0; j < 32; j++) {
                    float q = v[bestIndex(id * src[off + j])];
                    sumqx += w[j] * q * src[off + j];
                    sumq2 += w[j] * q * q;
                }
                d = sumqx / sumq2;
                float best = d * sumqx;
                for (int itry = -NTRY; itry <= NTRY; itry++) {
                    id = (itry + v[0]) / max;
                    sumqx = 0; sumq2 = 0;
                    for (int j = 0; j < 32; j++) {
                        float q = v[bestIndex(id * src[off + j])];
                        sumqx += w[j] * q * src[off + j];
                        sumq2 += w[j] * q * q;
                    }
                    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) { d = sumqx / sumq2; best = d * sumqx; }
                }
                scale = d;
            }
            dst.set(I16, dstOff, Float.floatToFloat16(scale));
            float id = scale != 0 ? 1 / scale : 0;
            for (int j = 0; j < 32; j++) L[j] = bestIndex(id * src[off + j]);
            for (int j = 0; j < 16; j++) dst.set(ValueLayout.JAVA_BYTE, dstOff + 2 + j, (byte) (L[j] | (L[16 + j] << 4)));
        }
    }
}
