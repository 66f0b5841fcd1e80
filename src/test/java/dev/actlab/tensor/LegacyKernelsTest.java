package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import jdk.incubator.vector.IntVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Q5_0, Q5_1 and MXFP4 kernels against their scalar references, against a float64 dot over
 * the dequantized row, across thread counts, and their decoders against blocks encoded by hand.
 */
class LegacyKernelsTest {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Random bytes with finite scales: f16 d (and m) of about 0.001..0.1, MXFP4 exponents 2^-10..2^2. */
    static WeightMatrix randomMatrix(DType t, int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] b = new byte[(int) (rows * t.bytesFor(cols))];
        MemorySegment m = MemorySegment.ofArray(b);
        for (int i = 0; i < b.length; i++) b[i] = (byte) rnd.nextInt(256);
        for (long blk = 0; blk < b.length / t.blockBytes; blk++) {
            long o = blk * t.blockBytes;
            switch (t) {
                case Q5_0 -> m.set(I16, o, half(rnd));
                case Q5_1 -> { m.set(I16, o, half(rnd)); m.set(I16, o + 2, half(rnd)); }
                case MXFP4 -> b[(int) o] = (byte) (127 - 10 + rnd.nextInt(13));
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
        return WeightMatrices.of(t, m, rows, cols);
    }

    static short half(SplittableRandom rnd) {
        return Float.floatToFloat16((float) (rnd.nextDouble(0.001, 0.1) * (rnd.nextBoolean() ? 1 : -1)));
    }

    static float[] randomVector(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    /**
     * Tolerance: 1e-5 of the sum of |w x| terms. Both sides sum 1024 float32 products in different
     * orders (lanes, blocks), each rounding at most 2^-24 relative per addition, so their difference
     * stays well below 1024 * 2^-24 ~ 6e-5 of that magnitude (and in practice ~1e-7).
     */
    @ParameterizedTest
    @EnumSource(names = {"Q5_0", "Q5_1", "MXFP4"})
    void vectorizedDotEqualsScalarReference(DType t) {
        int rows = 24, cols = 1024;
        WeightMatrix w = randomMatrix(t, rows, cols, 7);
        assertEquals(t, w.dtype());
        float[] x = randomVector(3 * cols, 8), row = new float[cols];
        for (int r = 0; r < rows; r++)
            for (int off : new int[]{0, cols, 2 * cols}) {
                w.dequantizeRow(r, row, 0);
                double exact = 0, magnitude = 0;
                for (int c = 0; c < cols; c++) { exact += (double) row[c] * x[off + c]; magnitude += Math.abs((double) row[c] * x[off + c]); }
                float fast = w.dot(r, x, off), slow = w.dotScalar(r, x, off);
                double tol = 1e-5 * magnitude + 1e-30;
                assertEquals(slow, fast, tol, t + " row " + r);
                assertEquals(exact, fast, tol, t + " row " + r + " vs float64 over the dequantized row");
            }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q5_0", "Q5_1", "MXFP4"})
    void matmulIsBitIdenticalAcrossThreadCountsAndEqualsDot(DType t) {
        for (int rows : new int[]{70, 37}) {
            int cols = 512, n = 6;
            WeightMatrix w = randomMatrix(t, rows, cols, 11);
            float[] x = randomVector(n * cols, 12);
            float[] one = new float[n * rows], two = new float[n * rows], three = new float[3 * rows], single = new float[rows];
            try (Parallel p1 = new Parallel(1); Parallel p2 = new Parallel(2); Parallel p3 = new Parallel(3)) {
                w.matmul(x, n, one, p1);
                w.matmul(x, n, two, p2);
                w.matmul(x, 3, three, p3);   // the n < 4 path
                w.matmul(x, 1, single, p2);  // decode
            }
            assertArrayEquals(one, two, t + ": one and two threads");
            for (int tok = 0; tok < n; tok++)
                for (int r = 0; r < rows; r++) {
                    assertEquals(Float.floatToRawIntBits(w.dot(r, x, tok * cols)), Float.floatToRawIntBits(one[tok * rows + r]));
                    if (tok < 3) assertEquals(one[tok * rows + r], three[tok * rows + r]);
                    if (tok == 0) assertEquals(one[r], single[r], t + " decode row " + r);
                }
        }
    }

    // ---- blocks encoded by hand: the test places each element's bits, the class decodes ----

    @Test
    void q5_0AndQ5_1TakeTheFifthBitOfWeightJFromBitJOfQh() {
        int[] q = new int[32];
        for (int j = 0; j < 32; j++) q[j] = (j * 11 + 5) % 32;
        byte[] b0 = new byte[22], b1 = new byte[24];
        MemorySegment m0 = MemorySegment.ofArray(b0), m1 = MemorySegment.ofArray(b1);
        m0.set(I16, 0, Float.floatToFloat16(0.5f));
        m1.set(I16, 0, Float.floatToFloat16(0.25f));
        m1.set(I16, 2, Float.floatToFloat16(-3f));
        int qh = 0;
        for (int j = 0; j < 32; j++) {
            int byteIndex = j % 16, shift = j < 16 ? 0 : 4;   // element j: nibble in byte j mod 16, low first
            b0[6 + byteIndex] |= (byte) ((q[j] & 15) << shift);
            b1[8 + byteIndex] |= (byte) ((q[j] & 15) << shift);
            qh |= (q[j] >> 4) << j;
        }
        m0.set(I32, 2, qh);
        m1.set(I32, 4, qh);
        float[] o0 = new float[32], o1 = new float[32];
        new Q5_0Matrix(m0, 1, 32).dequantizeRow(0, o0, 0);
        new Q5_1Matrix(m1, 1, 32).dequantizeRow(0, o1, 0);
        for (int j = 0; j < 32; j++) {
            assertEquals((q[j] - 16) * 0.5f, o0[j], "Q5_0 element " + j);
            assertEquals(q[j] * 0.25f - 3f, o1[j], "Q5_1 element " + j);
        }
    }

    /** OCP MX v1.0 E2M1: sign, 2 exponent bits (bias 1), 1 mantissa bit; no infinities or NaN (a float product can still overflow, as in ggml). */
    static double e2m1(int code) {
        int sign = code >> 3, exp = (code >> 1) & 3, man = code & 1;
        double mag = exp == 0 ? man * 0.5 : Math.pow(2, exp - 1) * (1 + man * 0.5);
        return sign == 1 ? -mag : mag;
    }

    @Test
    void mxfp4DecodesE2M1CodesTimesTheE8M0Scale() {
        for (int e : new int[]{0, 1, 2, 100, 127, 130, 254}) {
            byte[] b = new byte[17];
            b[0] = (byte) e;
            int[] code = new int[32];
            for (int j = 0; j < 32; j++) {
                code[j] = (j * 7 + e) % 16;
                b[1 + j % 16] |= (byte) (code[j] << (j < 16 ? 0 : 4));
            }
            float[] out = new float[32];
            new Mxfp4Matrix(MemorySegment.ofArray(b), 1, 32).dequantizeRow(0, out, 0);
            for (int j = 0; j < 32; j++)
                assertEquals((float) (e2m1(code[j]) * Math.pow(2, e - 127)), out[j], 0f, "e " + e + " element " + j + " code " + code[j]);
        }
    }

    @Test
    void e2m1LanesGiveTwiceTheValueOfEveryCode() {
        int[] codes = new int[QuantLanes.L], got = new int[QuantLanes.L];
        for (int start = 0; start < 16; start += QuantLanes.L) {
            for (int i = 0; i < codes.length; i++) codes[i] = (start + i) % 16;
            E2M1Lanes.doubled(IntVector.fromArray(QuantLanes.I, codes, 0)).intoArray(got, 0);
            for (int i = 0; i < codes.length; i++) {
                assertEquals(2 * e2m1(codes[i]), got[i], 0.0, "code " + codes[i]);
                assertEquals(Mxfp4Matrix.KVALUES[codes[i]], got[i], "code " + codes[i]);
            }
        }
    }

    // ---- quantizers: round trips within the format's step ----

    @Test
    void quantizeThenDequantizeStaysWithinAStep() {
        int cols = 4096;
        float[] x = randomVector(cols, 3);
        for (int i = 0; i < 32; i++) x[i] = 0;            // an all-zero block
        for (int i = 32; i < 64; i++) x[i] = -2.5f;       // a constant block
        for (DType t : new DType[]{DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.MXFP4}) {
            byte[] b = new byte[(int) t.bytesFor(cols)];
            MemorySegment m = MemorySegment.ofArray(b);
            switch (t) {
                case Q4_1 -> Q4_1Matrix.quantize(x, 0, cols, m, 0);
                case Q5_0 -> Q5_0Matrix.quantize(x, 0, cols, m, 0);
                case Q5_1 -> Q5_1Matrix.quantize(x, 0, cols, m, 0);
                default -> Mxfp4Matrix.quantize(x, 0, cols, m, 0);
            }
            float[] y = new float[cols];
            WeightMatrices.of(t, m, 1, cols).dequantizeRow(0, y, 0);
            for (int blk = 0; blk < cols / 32; blk++) {
                float amax = 0, min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
                for (int j = 0; j < 32; j++) { float v = x[blk * 32 + j]; amax = Math.max(amax, Math.abs(v)); min = Math.min(min, v); max = Math.max(max, v); }
                // a step of the grid: Q4_1/Q5_1 (max - min) / 15 or 31, Q5_0 amax / 16 (the far side can clip a step),
                // MXFP4 the widest gap of its grid (4 to 6 or 6 to 8 scale units, scale <= amax / 4); plus f16 rounding of d and m
                float step = switch (t) {
                    case Q4_1 -> (max - min) / 15;
                    case Q5_1 -> (max - min) / 31;
                    case Q5_0 -> amax / 16;
                    default -> amax / 2;
                };
                float slack = t == DType.MXFP4 ? 0 : amax * 0x1p-9f;
                for (int j = 0; j < 32; j++) {
                    int i = blk * 32 + j;
                    assertTrue(Math.abs(x[i] - y[i]) <= step + slack + 1e-6f, t + " at " + i + ": " + x[i] + " -> " + y[i]);
                }
            }
            for (int i = 0; i < 32; i++) assertEquals(0f, y[i], 0f, t + " zero block");
            // MXFP4 has no -2.5 at the scale 2.5 gets (0.5 * {4, 6}): -2.5 lies halfway, and the first code in order wins
            for (int i = 32; i < 64; i++) assertEquals(t == DType.MXFP4 ? -2f : -2.5f, y[i], 2.5f * 0x1p-10f, t + " constant block");
        }
    }
}
