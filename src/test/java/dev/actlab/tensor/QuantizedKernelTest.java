package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The quantized kernels against their scalar references and against blocks decoded by hand. */
class QuantizedKernelTest {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Offsets of the f16 scale fields inside one block of each format. */
    static int[] halfFields(DType t) {
        return switch (t) {
            case Q8_0, Q4_0 -> new int[]{0};
            case Q4_1, Q4_K, Q5_K -> new int[]{0, 2};
            case Q6_K -> new int[]{208};
            default -> new int[0];
        };
    }

    /** Random bytes with finite scales: a valid matrix of the format. */
    static WeightMatrix randomMatrix(DType t, int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] b = new byte[(int) (rows * t.bytesFor(cols))];
        MemorySegment m = MemorySegment.ofArray(b);
        if (t == DType.F32 || t == DType.F16 || t == DType.BF16) {
            for (long i = 0; i < (long) rows * cols; i++) {
                float v = (float) rnd.nextGaussian();
                switch (t) {
                    case F32 -> m.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4 * i, v);
                    case F16 -> m.set(I16, 2 * i, Float.floatToFloat16(v));
                    default -> m.set(I16, 2 * i, (short) (Float.floatToRawIntBits(v) >>> 16));
                }
            }
        } else {
            for (int i = 0; i < b.length; i++) b[i] = (byte) rnd.nextInt(256);
            for (long blk = 0; blk < b.length / t.blockBytes; blk++)
                for (int h : halfFields(t))
                    m.set(I16, blk * t.blockBytes + h, Float.floatToFloat16((float) (rnd.nextDouble(0.001, 0.1) * (rnd.nextBoolean() ? 1 : -1))));
        }
        return WeightMatrices.of(t, m, rows, cols);
    }

    static float[] randomVector(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_K", "Q6_K"})
    void vectorizedDotEqualsScalarReference(DType t) {
        int rows = 24, cols = 1024;
        WeightMatrix w = randomMatrix(t, rows, cols, 7);
        float[] x = randomVector(3 * cols, 8);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            for (int off : new int[]{0, cols, 2 * cols}) {
                w.dequantizeRow(r, row, 0);
                double exact = 0, magnitude = 0;
                for (int c = 0; c < cols; c++) { exact += (double) row[c] * x[off + c]; magnitude += Math.abs((double) row[c] * x[off + c]); }
                float fast = w.dot(r, x, off), slow = w.dotScalar(r, x, off);
                double tol = 1e-5 * magnitude + 1e-30;
                assertEquals(slow, fast, tol, t + " row " + r);
                assertEquals(exact, fast, tol, t + " row " + r + " vs float64 over dequantized row");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_K", "Q6_K"})
    void matmulIsBitIdenticalAcrossThreadCountsAndEqualsDot(DType t) {
        // 70 rows: whole 2- and 4-row groups of the decode kernels per thread; 37: a leftover row
        for (int rows : new int[]{70, 37}) matmulEqualsDot(t, rows);
    }

    private static void matmulEqualsDot(DType t, int rows) {
        int cols = 512, n = 6;
        WeightMatrix w = randomMatrix(t, rows, cols, 11);
        float[] x = randomVector(n * cols, 12);
        float[] one = new float[n * rows], two = new float[n * rows], three = new float[3 * rows], single = new float[rows];
        try (Parallel p1 = new Parallel(1); Parallel p2 = new Parallel(2)) {
            w.matmul(x, n, one, p1);
            w.matmul(x, n, two, p2);
            w.matmul(x, 3, three, p2);   // the n < 4 path
            w.matmul(x, 1, single, p1);  // decode
        }
        assertArrayEquals(one, two);
        for (int tok = 0; tok < n; tok++)
            for (int r = 0; r < rows; r++) {
                assertEquals(Float.floatToRawIntBits(w.dot(r, x, tok * cols)), Float.floatToRawIntBits(one[tok * rows + r]));
                if (tok < 3) assertEquals(one[tok * rows + r], three[tok * rows + r]);
                if (tok == 0) assertEquals(one[r], single[r], t + " decode row " + r);
            }
    }

    // ---- blocks decoded by hand: the test encodes each element, the class decodes ----

    @Test
    void q8_0BlockDecodesAsScaleTimesInt8() {
        byte[] b = new byte[34];
        MemorySegment m = MemorySegment.ofArray(b);
        m.set(I16, 0, Float.floatToFloat16(0.25f));
        for (int j = 0; j < 32; j++) b[2 + j] = (byte) (j * 8 - 128);
        float[] out = new float[32];
        new Q8_0Matrix(m, 1, 32).dequantizeRow(0, out, 0);
        for (int j = 0; j < 32; j++) assertEquals((j * 8 - 128) * 0.25f, out[j]);
    }

    @Test
    void q4_0AndQ4_1NibblesAreLowThenHigh() {
        int[] q = new int[32];
        for (int j = 0; j < 32; j++) q[j] = (j * 7 + 3) % 16;
        byte[] b0 = new byte[18], b1 = new byte[20];
        MemorySegment m0 = MemorySegment.ofArray(b0), m1 = MemorySegment.ofArray(b1);
        m0.set(I16, 0, Float.floatToFloat16(0.5f));
        m1.set(I16, 0, Float.floatToFloat16(0.5f));
        m1.set(I16, 2, Float.floatToFloat16(-3f));
        for (int j = 0; j < 32; j++) {
            int byteIndex = j % 16, shift = j < 16 ? 0 : 4;   // element j: byte j mod 16, low nibble first
            b0[2 + byteIndex] |= (byte) (q[j] << shift);
            b1[4 + byteIndex] |= (byte) (q[j] << shift);
        }
        float[] o0 = new float[32], o1 = new float[32];
        new Q4_0Matrix(m0, 1, 32).dequantizeRow(0, o0, 0);
        new Q4_1Matrix(m1, 1, 32).dequantizeRow(0, o1, 0);
        for (int j = 0; j < 32; j++) {
            assertEquals((q[j] - 8) * 0.5f, o0[j]);
            assertEquals(q[j] * 0.5f - 3f, o1[j]);
        }
    }

    /** Packs 6-bit scales and mins the way ggml's Q4_K/Q5_K quantizers do. */
    static void packScales(byte[] b, int at, int[] sc, int[] mn) {
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                b[at + j] = (byte) sc[j];
                b[at + j + 4] = (byte) mn[j];
            } else {
                b[at + j + 4] = (byte) ((sc[j] & 0xF) | ((mn[j] & 0xF) << 4));
                b[at + j - 4] |= (byte) ((sc[j] >> 4) << 6);
                b[at + j] |= (byte) ((mn[j] >> 4) << 6);
            }
        }
    }

    @Test
    void q4_KAndQ5_KDecodeSixBitScalesMinsAndFifthBits() {
        int[] sc = {1, 63, 17, 40, 33, 62, 5, 48}, mn = {0, 12, 63, 7, 50, 1, 36, 63};
        int[] q4 = new int[256], q5 = new int[256];
        for (int e = 0; e < 256; e++) { q4[e] = (e * 5 + 1) % 16; q5[e] = (e * 13 + 2) % 32; }
        byte[] a = new byte[144], c = new byte[176];
        MemorySegment ma = MemorySegment.ofArray(a), mc = MemorySegment.ofArray(c);
        for (MemorySegment m : new MemorySegment[]{ma, mc}) { m.set(I16, 0, Float.floatToFloat16(0.125f)); m.set(I16, 2, Float.floatToFloat16(0.0625f)); }
        packScales(a, 4, sc, mn);
        packScales(c, 4, sc, mn);
        for (int e = 0; e < 256; e++) {
            int sub = e / 32, l = e % 32, byteIndex = 32 * (sub / 2) + l, shift = sub % 2 == 0 ? 0 : 4;
            a[16 + byteIndex] |= (byte) (q4[e] << shift);
            c[48 + byteIndex] |= (byte) ((q5[e] & 0xF) << shift);
            c[16 + l] |= (byte) ((q5[e] >> 4) << sub);     // fifth bit of sub-block s: bit s of qh[l]
        }
        float[] o4 = new float[256], o5 = new float[256];
        new Q4KMatrix(ma, 1, 256).dequantizeRow(0, o4, 0);
        new Q5KMatrix(mc, 1, 256).dequantizeRow(0, o5, 0);
        for (int e = 0; e < 256; e++) {
            int s = e / 32;
            assertEquals(0.125f * sc[s] * q4[e] - 0.0625f * mn[s], o4[e], "Q4_K element " + e);
            assertEquals(0.125f * sc[s] * q5[e] - 0.0625f * mn[s], o5[e], "Q5_K element " + e);
        }
    }

    @Test
    void q6_KDecodesSixBitQuantsWithSignedSixteenElementScales() {
        int[] q = new int[256];
        for (int e = 0; e < 256; e++) q[e] = (e * 29 + 5) % 64;
        int[] sc = new int[16];
        for (int i = 0; i < 16; i++) sc[i] = (i * 37 % 255) - 127;
        byte[] b = new byte[210];
        MemorySegment m = MemorySegment.ofArray(b);
        m.set(I16, 208, Float.floatToFloat16(0.03125f));
        for (int i = 0; i < 16; i++) b[192 + i] = (byte) sc[i];
        for (int e = 0; e < 256; e++) {
            int half = e / 128, r = e % 128, quarter = r / 32, l = r % 32;
            int qlByte = 64 * half + l + (quarter % 2 == 1 ? 32 : 0), shift = quarter >= 2 ? 4 : 0;
            b[qlByte] |= (byte) ((q[e] & 0xF) << shift);
            b[128 + 32 * half + l] |= (byte) ((q[e] >> 4) << (2 * quarter));
        }
        float[] out = new float[256];
        new Q6KMatrix(m, 1, 256).dequantizeRow(0, out, 0);
        for (int e = 0; e < 256; e++) assertEquals(0.03125f * sc[e / 16] * (q[e] - 32), out[e], "element " + e);
    }

    // ---- quantizers ----

    @Test
    void quantizeDequantizeErrorIsWithinHalfAStep() {
        int cols = 4096;
        float[] x = randomVector(cols, 3);
        for (int i = 0; i < 64; i++) x[i] = 0;                 // all-zero blocks
        for (int i = 64; i < 96; i++) x[i] = -2.5f;            // a constant block
        byte[] b8 = new byte[(int) DType.Q8_0.bytesFor(cols)], b4 = new byte[(int) DType.Q4_0.bytesFor(cols)], b16 = new byte[2 * cols];
        Q8_0Matrix.quantize(x, 0, cols, MemorySegment.ofArray(b8), 0);
        Q4_0Matrix.quantize(x, 0, cols, MemorySegment.ofArray(b4), 0);
        F16Matrix.quantize(x, 0, cols, MemorySegment.ofArray(b16), 0);
        float[] d8 = new float[cols], d4 = new float[cols], d16 = new float[cols];
        new Q8_0Matrix(MemorySegment.ofArray(b8), 1, cols).dequantizeRow(0, d8, 0);
        new Q4_0Matrix(MemorySegment.ofArray(b4), 1, cols).dequantizeRow(0, d4, 0);
        new F16Matrix(MemorySegment.ofArray(b16), 1, cols).dequantizeRow(0, d16, 0);
        for (int blk = 0; blk < cols / 32; blk++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[blk * 32 + j]));
            for (int j = 0; j < 32; j++) {
                int i = blk * 32 + j;
                // half a step, plus the scale's own f16 rounding (relative 2^-11) times the largest quant
                assertTrue(Math.abs(x[i] - d8[i]) <= amax / 127 * 0.5f + amax * 0x1p-11f + 1e-7f, "Q8_0 at " + i);
                // Q4_0 maps the extreme to -8; its opposite can clip at +7: up to one step of amax / 8
                assertTrue(Math.abs(x[i] - d4[i]) <= amax / 8 * (1 + 0x1p-10f) + 1e-7f, "Q4_0 at " + i);
                assertTrue(Math.abs(x[i] - d16[i]) <= Math.abs(x[i]) * 0x1p-11f + 0x1p-25f, "F16 at " + i);
            }
        }
        for (int i = 0; i < 64; i++) { assertEquals(0f, d8[i], 0f); assertEquals(0f, d4[i], 0f); }   // ggml gives -0 for Q4_0 (d = -0 / 8)
        for (int i = 64; i < 96; i++) { assertEquals(-2.5f, d8[i], 2.5f * 0x1p-10f); assertEquals(-2.5f, d4[i], 2.5f * 0x1p-10f); }
    }

    @Test
    void f16VectorConversionHandlesSubnormalsInfinitiesAndNaN() {
        short[] specials = {0, (short) 0x8000, 1, (short) 0x8001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0x7c00, (short) 0xfc00, 0x7e00, (short) 0xc000};
        byte[] b = new byte[2 * 16];
        MemorySegment m = MemorySegment.ofArray(b);
        for (int i = 0; i < 16; i++) m.set(I16, 2L * i, specials[i % specials.length]);
        F16LaneCheck.check(m, specials);
    }
}
