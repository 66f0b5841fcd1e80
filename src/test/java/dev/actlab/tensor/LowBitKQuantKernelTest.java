package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Q2_K, Q3_K and IQ4_NL (their fallback) kernels against their scalar references (vectorized dot vs dotScalar vs a float64
 * sum over the dequantized row), bit-identical across thread counts, and their decoders against
 * blocks encoded element by element here. (The decoders against gguf-py's numpy dequantizer, and whole
 * models in these types: model/gguf/LowBitKQuantModelTest.)
 */
class LowBitKQuantKernelTest {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Random bytes with finite f16 scales: every byte pattern of the quants and sub-block scales is a valid block. */
    static WeightMatrix randomMatrix(DType t, int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] b = new byte[(int) (rows * t.bytesFor(cols))];
        for (int i = 0; i < b.length; i++) b[i] = (byte) rnd.nextInt(256);
        MemorySegment m = MemorySegment.ofArray(b);
        int[] halves = switch (t) { case Q2_K -> new int[]{80, 82}; case Q3_K -> new int[]{108}; default -> new int[]{0}; };
        for (long blk = 0; blk < b.length / t.blockBytes; blk++)
            for (int h : halves)
                m.set(I16, blk * t.blockBytes + h, Float.floatToFloat16((float) (rnd.nextDouble(0.001, 0.1) * (rnd.nextBoolean() ? 1 : -1))));
        return WeightMatrices.of(t, m, rows, cols);
    }

    static float[] randomVector(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    @ParameterizedTest
    @EnumSource(names = {"Q2_K", "Q3_K", "IQ4_NL"})
    void vectorizedDotEqualsScalarReference(DType t) {
        int rows = 24, cols = 1024;
        WeightMatrix w = randomMatrix(t, rows, cols, 7);
        assertEquals(t, w.dtype());
        float[] x = randomVector(3 * cols, 8), row = new float[cols];
        for (int r = 0; r < rows; r++) {
            w.dequantizeRow(r, row, 0);
            for (int off : new int[]{0, cols, 2 * cols}) {
                double exact = 0, magnitude = 0;
                for (int c = 0; c < cols; c++) { exact += (double) row[c] * x[off + c]; magnitude += Math.abs((double) row[c] * x[off + c]); }
                float fast = w.dot(r, x, off), slow = w.dotScalar(r, x, off);
                // float32 sums of 1024 terms in two orders: within 1e-5 of the sum of magnitudes
                double tol = 1e-5 * magnitude + 1e-30;
                assertEquals(slow, fast, tol, t + " row " + r);
                assertEquals(exact, fast, tol, t + " row " + r + " vs float64 over the dequantized row");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q2_K", "Q3_K", "IQ4_NL"})
    void matmulIsBitIdenticalAcrossThreadCountsAndEqualsDot(DType t) {
        for (int rows : new int[]{70, 37}) {
            int cols = 512, n = 6;
            WeightMatrix w = randomMatrix(t, rows, cols, 11);
            float[] x = randomVector(n * cols, 12);
            float[] one = new float[n * rows], two = new float[n * rows], three = new float[3 * rows], single = new float[rows];
            try (Parallel p1 = new Parallel(1); Parallel p2 = new Parallel(2)) {
                w.matmul(x, n, one, p1);
                w.matmul(x, n, two, p2);
                w.matmul(x, 3, three, p2);
                w.matmul(x, 1, single, p1);
            }
            assertArrayEquals(one, two, t + ": one and two threads");
            for (int tok = 0; tok < n; tok++)
                for (int r = 0; r < rows; r++) {
                    assertEquals(Float.floatToRawIntBits(w.dot(r, x, tok * cols)), Float.floatToRawIntBits(one[tok * rows + r]));
                    if (tok < 3) assertEquals(one[tok * rows + r], three[tok * rows + r]);
                    if (tok == 0) assertEquals(one[r], single[r]);
                }
        }
    }

    @Test
    void q2_KDecodesTwoBitQuantsWithNibbleScalesAndMins() {
        int[] q = new int[256], sc = new int[16], mn = new int[16];
        for (int e = 0; e < 256; e++) q[e] = (e * 7 + e / 5) % 4;
        for (int s = 0; s < 16; s++) { sc[s] = (s * 5 + 3) % 16; mn[s] = (s * 11 + 1) % 16; }
        byte[] b = new byte[84];
        MemorySegment m = MemorySegment.ofArray(b);
        for (int s = 0; s < 16; s++) b[s] = (byte) (sc[s] | (mn[s] << 4));
        for (int e = 0; e < 256; e++) {
            int half = e / 128, quarter = (e % 128) / 32, k = e % 32;   // element e: bits 2*quarter of byte 32*half + k
            b[16 + 32 * half + k] |= (byte) (q[e] << (2 * quarter));
        }
        m.set(I16, 80, Float.floatToFloat16(0.25f));
        m.set(I16, 82, Float.floatToFloat16(0.0625f));
        float[] out = new float[256];
        new Q2KMatrix(m, 1, 256).dequantizeRow(0, out, 0);
        for (int e = 0; e < 256; e++) assertEquals(0.25f * sc[e / 16] * q[e] - 0.0625f * mn[e / 16], out[e], "element " + e);
    }

    @Test
    void q3_KDecodesThreeBitQuantsWithSixBitSignedScales() {
        int[] q = new int[256], sc = new int[16];
        for (int e = 0; e < 256; e++) q[e] = (e * 5 + e / 7) % 8 - 4;    // [-4, 3]
        for (int s = 0; s < 16; s++) sc[s] = (s * 23 + 9) % 64 - 32;      // [-32, 31]
        byte[] b = new byte[110];
        MemorySegment m = MemorySegment.ofArray(b);
        for (int e = 0; e < 256; e++) {
            int u = q[e] + 4, half = e / 128, quarter = (e % 128) / 32, k = e % 32;
            b[32 + 32 * half + k] |= (byte) ((u & 3) << (2 * quarter));   // low two bits
            if (u >= 4) b[k] |= (byte) (1 << (4 * half + quarter));        // hmask bit set: q = low bits, else low bits - 4
        }
        for (int s = 0; s < 16; s++) {
            int u = sc[s] + 32;                                            // six bits: low 4 in bytes 0..7, top 2 in bytes 8..11
            if (s < 8) b[96 + s] |= (byte) (u & 0xF); else b[96 + s - 8] |= (byte) ((u & 0xF) << 4);
            b[96 + 8 + s % 4] |= (byte) ((u >> 4) << (2 * (s / 4)));
        }
        m.set(I16, 108, Float.floatToFloat16(0.125f));
        float[] out = new float[256];
        new Q3KMatrix(m, 1, 256).dequantizeRow(0, out, 0);
        for (int e = 0; e < 256; e++) assertEquals(0.125f * sc[e / 16] * q[e], out[e], "element " + e);
    }
}
