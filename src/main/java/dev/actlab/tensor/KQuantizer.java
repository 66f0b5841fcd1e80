package dev.actlab.tensor;

import static dev.actlab.tensor.KQuantSearch.makeQ3Quants;
import static dev.actlab.tensor.KQuantSearch.makeQkxQuants;
import static dev.actlab.tensor.KQuantSearch.makeQpQuants;
import static dev.actlab.tensor.KQuantSearch.makeQxQuants;
import static dev.actlab.tensor.KQuantSearch.nearestInt;
import static dev.actlab.tensor.KQuantSearch.viaHalf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * llama.cpp's K-quant quantizers (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K), reimplemented from their published
 * behaviour: the same bytes as llama-quantize writes for a row.
 * <ul>
 * <li>{@code importance == null}: the reference quantizers (quantize_row_qN_K_ref), which
 *     llama-quantize uses without an imatrix;</li>
 * <li>{@code importance} given: the importance-weighted forms llama-quantize uses with
 *     {@code --imatrix}: importance[c] is the imatrix value of input column c (the mean over tokens of
 *     that input's square), the same for every row of the matrix.</li>
 * </ul>
 * Each super-block of 256 weights is quantized in two stages: every sub-block (16 or 32 weights)
 * gets its own scale (and min) from a search ({@link KQuantSearch}), then those scales are themselves
 * quantized against one f16 super-block scale, and the weights are requantized with the decoded scales.
 */
public final class KQuantizer {
    private KQuantizer() {}

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int QK = 256;

    /** True for the five types this class writes. */
    public static boolean writes(DType t) {
        return t == DType.Q2_K || t == DType.Q3_K || t == DType.Q4_K || t == DType.Q5_K || t == DType.Q6_K;
    }

    /**
     * Quantizes src[off..off+n) (n a multiple of 256: one row, or several rows laid end to end when
     * importance is null) to n / 256 blocks of type at dst[dstOff..]. importance, when given, has one
     * value per column of the row and n must be one row.
     */
    public static void quantize(DType type, float[] src, int off, int n, float[] importance, MemorySegment dst, long dstOff) {
        if (n % QK != 0) throw new IllegalArgumentException(type + " needs a multiple of 256 values, got " + n);
        if (importance != null && importance.length < n) throw new IllegalArgumentException("importance has " + importance.length + " values for a row of " + n);
        for (int b = 0; b < n / QK; b++, off += QK, dstOff += type.blockBytes) {
            int io = b * QK;   // the importance of this block's columns starts here
            switch (type) {
                case Q2_K -> q2K(src, off, importance, io, dst, dstOff);
                case Q3_K -> q3K(src, off, importance, io, dst, dstOff);
                case Q4_K -> q45K(15, src, off, importance, io, dst, dstOff);
                case Q5_K -> q45K(31, src, off, importance, io, dst, dstOff);
                case Q6_K -> q6K(src, off, importance, io, dst, dstOff);
                default -> throw new IllegalArgumentException(type + " is not a K-quant this class writes");
            }
        }
    }

    private static void put(MemorySegment m, long o, int v) { m.set(ValueLayout.JAVA_BYTE, o, (byte) v); }
    private static void putHalf(MemorySegment m, long o, float v) { m.set(I16, o, Float.floatToFloat16(v)); }

    private static float sumSquares(float[] x, int off, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) s += x[off + i] * x[off + i];
        return s;
    }

    /** Weights sqrt(sigma2 + x^2) times the importance: the imatrix forms' element weights. */
    private static void importanceWeights(float[] x, int off, float[] imp, int io, float sigma2, float[] w, int n) {
        for (int l = 0; l < n; l++) w[l] = imp[io + l] * (float) Math.sqrt(sigma2 + x[off + l] * x[off + l]);
    }

    /** Writes 2-bit levels L[0..256) as ggml packs them: byte l of each 32 holds elements l, l+32, l+64, l+96 of a 128. */
    private static void pack2(int[] L, MemorySegment dst, long qs) {
        for (int j = 0; j < QK; j += 128)
            for (int l = 0; l < 32; l++)
                put(dst, qs + j / 4 + l, L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
    }

    // ---- Q2_K: 84 bytes = 16 scale bytes (low nibble scale, high nibble min), 64 bytes of 2-bit q, f16 d, f16 dmin

    private static void q2K(float[] x, int off, float[] imp, int io, MemorySegment dst, long o) {
        int[] L = new int[QK], aux = new int[16], ls = new int[16], lm = new int[16];
        float[] w = new float[16], scales = new float[16], mins = new float[16], minOut = new float[1];
        float d, dmin;
        if (imp == null) {
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 16; j++) {
                for (int l = 0; l < 16; l++) w[l] = Math.abs(x[off + 16 * j + l]);
                scales[j] = makeQkxQuants(16, 3, x, off + 16 * j, w, 0, L, 16 * j, minOut, aux, -0.5f, 0.1f, 15, true);
                mins[j] = minOut[0];
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            d = 0; dmin = 0;
            if (maxScale > 0) {
                float iscale = 15f / maxScale;
                for (int j = 0; j < 16; j++) ls[j] = nearestInt(iscale * scales[j]);
                d = maxScale / 15f;
            }
            if (maxMin > 0) {
                float iscale = 15f / maxMin;
                for (int j = 0; j < 16; j++) lm[j] = nearestInt(iscale * mins[j]);
                dmin = maxMin / 15f;
            }
        } else {
            float sigma2 = sumSquares(x, off, QK) / QK;
            float[] sw = new float[16];
            for (int j = 0; j < 16; j++) {
                importanceWeights(x, off + 16 * j, imp, io + 16 * j, sigma2, w, 16);
                for (int l = 0; l < 16; l++) sw[j] += w[l];
                scales[j] = makeQkxQuants(16, 3, x, off + 16 * j, w, 0, L, 16 * j, minOut, aux, -0.9f, 0.05f, 36, false);
                mins[j] = minOut[0];
            }
            d = makeQpQuants(16, 15, scales, 0, ls, 0, sw, 0);
            dmin = makeQpQuants(16, 15, mins, 0, lm, 0, sw, 0);
        }
        int[] packed = new int[16];
        for (int j = 0; j < 16; j++) packed[j] = (ls[j] | (lm[j] << 4)) & 0xFF;
        putHalf(dst, o + 80, d);
        putHalf(dst, o + 82, dmin);
        float dh = viaHalf(d), dminh = viaHalf(dmin);
        for (int j = 0; j < 16; j++) {
            float dl = dh * (packed[j] & 0xF);
            if (dl == 0) continue;   // keeps the search's levels, as ggml does
            float ml = dminh * (packed[j] >> 4);
            for (int i = 0; i < 16; i++) L[16 * j + i] = Math.max(0, Math.min(3, nearestInt((x[off + 16 * j + i] + ml) / dl)));
        }
        for (int j = 0; j < 16; j++) put(dst, o + j, packed[j]);
        pack2(L, dst, o + 16);
    }

    // ---- Q3_K: 110 bytes = 32 bytes hmask (third bit), 64 bytes of 2-bit q, 12 bytes of 6-bit scales, f16 d

    private static void q3K(float[] x, int off, float[] imp, int io, MemorySegment dst, long o) {
        int[] L = new int[QK], ls = new int[16];
        float[] scales = new float[16];
        float d;
        if (imp == null) {
            float maxScale = 0, amax = 0;
            for (int j = 0; j < 16; j++) {
                scales[j] = makeQ3Quants(16, 4, x, off + 16 * j, L, 16 * j, true);
                float a = Math.abs(scales[j]);
                if (a > amax) { amax = a; maxScale = scales[j]; }
            }
            d = 0;
            if (maxScale != 0) {
                float iscale = -32f / maxScale;
                for (int j = 0; j < 16; j++) ls[j] = Math.max(-32, Math.min(31, (byte) nearestInt(iscale * scales[j]))) + 32;
                d = 1 / iscale;
            }
        } else {
            float sigma2 = 2 * sumSquares(x, off, QK) / QK;
            float[] w = new float[16], sw = new float[16];
            for (int j = 0; j < 16; j++) {
                importanceWeights(x, off + 16 * j, imp, io + 16 * j, sigma2, w, 16);
                float sumw = 0;
                for (int l = 0; l < 16; l++) sumw += w[l];
                sw[j] = sumw;
                scales[j] = makeQxQuants(16, 4, x, off + 16 * j, L, 16 * j, 1, w, 0);
            }
            d = makeQxQuants(16, 32, scales, 0, ls, 0, 1, sw, 0);
        }
        byte[] sc = new byte[12];
        for (int j = 0; j < 16; j++) {
            int l = ls[j];
            if (j < 8) sc[j] = (byte) (l & 0xF); else sc[j - 8] |= (byte) ((l & 0xF) << 4);
            sc[j % 4 + 8] |= (byte) ((l >> 4) << (2 * (j / 4)));
        }
        putHalf(dst, o + 108, d);
        float dh = viaHalf(d);
        for (int j = 0; j < 16; j++) {
            int s = (j < 8 ? sc[j] & 0xF : (sc[j - 8] & 0xFF) >> 4) | (((sc[8 + j % 4] >> (2 * (j / 4))) & 3) << 4);
            float dl = dh * (s - 32);
            if (dl == 0) continue;
            for (int i = 0; i < 16; i++) L[16 * j + i] = Math.max(-4, Math.min(3, nearestInt(x[off + 16 * j + i] / dl))) + 4;
        }
        // third bits: element j's goes to bit j / 32 of hmask byte j % 32
        for (int j = 0; j < 32; j++) put(dst, o + j, 0);
        for (int j = 0; j < QK; j++) {
            if (L[j] > 3) {
                long h = o + j % 32;
                put(dst, h, dst.get(ValueLayout.JAVA_BYTE, h) | (1 << (j / 32)));
                L[j] -= 4;
            }
        }
        pack2(L, dst, o + 32);
        MemorySegment.copy(sc, 0, dst, ValueLayout.JAVA_BYTE, o + 96, 12);
    }

    // ---- Q4_K (144 bytes: f16 d, f16 dmin, 12 scale bytes, 128 nibble bytes) and Q5_K (176: ..., 32 bytes qh, 128)

    private static void q45K(int nmax, float[] x, int off, float[] imp, int io, MemorySegment dst, long o) {
        int[] L = new int[QK], aux = new int[32], ls = new int[8], lm = new int[8];
        float[] w = new float[32], scales = new float[8], mins = new float[8], minOut = new float[1];
        float d, dmin;
        if (imp == null) {
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 8; j++) {
                float avX = (float) Math.sqrt(sumSquares(x, off + 32 * j, 32) / 32);
                for (int l = 0; l < 32; l++) w[l] = avX + Math.abs(x[off + 32 * j + l]);
                scales[j] = nmax == 15
                        ? makeQkxQuants(32, 15, x, off + 32 * j, w, 0, L, 32 * j, minOut, aux, -1f, 0.1f, 20, false)
                        : makeQkxQuants(32, 31, x, off + 32 * j, w, 0, L, 32 * j, minOut, aux, -0.5f, 0.1f, 15, false);
                mins[j] = minOut[0];
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            float invScale = maxScale > 0 ? 63f / maxScale : 0f, invMin = maxMin > 0 ? 63f / maxMin : 0f;
            for (int j = 0; j < 8; j++) {
                ls[j] = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
                lm[j] = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            }
            d = maxScale / 63f;
            dmin = maxMin / 63f;
        } else {
            float sigma2 = 2 * sumSquares(x, off, QK) / QK;
            float[] sw = new float[8];
            for (int j = 0; j < 8; j++) {
                importanceWeights(x, off + 32 * j, imp, io + 32 * j, sigma2, w, 32);
                float sumw = 0;
                for (int l = 0; l < 32; l++) sumw += w[l];
                sw[j] = sumw;
                scales[j] = makeQkxQuants(32, nmax, x, off + 32 * j, w, 0, L, 32 * j, minOut, aux, -0.9f, 0.05f, 36, false);
                mins[j] = minOut[0];
            }
            d = makeQpQuants(8, 63, scales, 0, ls, 0, sw, 0);
            dmin = makeQpQuants(8, 63, mins, 0, lm, 0, sw, 0);
            for (int j = 0; j < 8; j++) { ls[j] = Math.min(63, ls[j]); lm[j] = Math.min(63, lm[j]); }
        }
        KScales.encode(ls, lm, dst, o + 4);
        putHalf(dst, o, d);
        putHalf(dst, o + 2, dmin);
        float dh = viaHalf(d), dminh = viaHalf(dmin);
        for (int j = 0; j < 8; j++) {
            float dl = dh * ls[j];
            if (dl == 0) continue;
            float ml = dminh * lm[j];
            for (int i = 0; i < 32; i++) L[32 * j + i] = Math.max(0, Math.min(nmax, nearestInt((x[off + 32 * j + i] + ml) / dl)));
        }
        if (nmax == 15) {
            for (int j = 0; j < QK; j += 64)
                for (int l = 0; l < 32; l++) put(dst, o + 16 + j / 2 + l, L[j + l] | (L[j + l + 32] << 4));
            return;
        }
        // Q5_K: the fifth bit of sub-block s goes to bit s of qh[l]; nibbles as Q4_K after qh
        long qh = o + 16, ql = o + 48;
        int[] high = new int[32];
        for (int j = 0, s = 0; j < QK; j += 64, s += 2) {
            for (int l = 0; l < 32; l++) {
                int l1 = L[j + l], l2 = L[j + l + 32];
                if (l1 > 15) { l1 -= 16; high[l] |= 1 << s; }
                if (l2 > 15) { l2 -= 16; high[l] |= 2 << s; }
                put(dst, ql + j / 2 + l, l1 | (l2 << 4));
            }
        }
        for (int l = 0; l < 32; l++) put(dst, qh + l, high[l]);
    }

    // ---- Q6_K: 210 bytes = 128 bytes ql (low 4 bits), 64 bytes qh (high 2 bits), 16 int8 scales, f16 d

    private static void q6K(float[] x, int off, float[] imp, int io, MemorySegment dst, long o) {
        int[] L = new int[QK];
        float[] scales = new float[16];
        float maxScale = 0, maxAbs = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = makeQxQuants(16, 32, x, off + 16 * j, L, 16 * j, 1, imp, io + 16 * j);
            float a = Math.abs(scales[j]);
            if (a > maxAbs) { maxAbs = a; maxScale = scales[j]; }
        }
        if (maxAbs < KQuantSearch.GROUP_MAX_EPS) {
            dst.asSlice(o, 210).fill((byte) 0);
            return;
        }
        float iscale = -128f / maxScale;
        putHalf(dst, o + 208, 1 / iscale);
        float dh = viaHalf(1 / iscale);
        int[] sc = new int[16];
        for (int j = 0; j < 16; j++) {
            sc[j] = (byte) Math.min(127, nearestInt(iscale * scales[j]));
            put(dst, o + 192 + j, sc[j]);
        }
        for (int j = 0; j < 16; j++) {
            float dl = dh * sc[j];
            if (dl == 0) continue;
            for (int i = 0; i < 16; i++) L[16 * j + i] = Math.max(-32, Math.min(31, nearestInt(x[off + 16 * j + i] / dl))) + 32;
        }
        for (int j = 0, h = 0; j < QK; j += 128, h++) {
            long ql = o + 64L * h, qh = o + 128 + 32L * h;
            for (int l = 0; l < 32; l++) {
                int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                put(dst, ql + l, q1 | (q3 << 4));
                put(dst, ql + 32 + l, q2 | (q4 << 4));
                put(dst, qh + l, (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
            }
        }
    }
}
