package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * F16 decode (1-3 tokens) on every path of {@link KernelChoice#f16StridedRows} and {@link KernelChoice#f16ScaledInput}:
 * the bits of {@link F16Matrix#dot} with 1 and 2 threads, over whole matrices and ragged row ranges, with subnormal,
 * signed-zero and largest halves, subnormal and near-2^16 inputs; the fallbacks (an infinite or NaN weight, an input
 * of 2^16 or more) likewise; and dot against the scalar reference and a float64 sum.
 */
class F16DecodeTest {
    /** Gaussian weights with special halves spread in: subnormals, +-0, +-65504. */
    static F16Matrix matrix(int rows, int cols, long seed, short... extra) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.05);
        byte[] b = new byte[rows * cols * 2];
        MemorySegment m = MemorySegment.ofArray(b);
        F16Matrix.quantize(w, 0, w.length, m, 0);
        short[] specials = {0x0001, (short) 0x83ff, 0x0200, (short) 0x8000, 0x0000, 0x7bff, (short) 0xfbff, 0x0400, (short) 0x8401};
        for (int k = 0; k < specials.length; k++) m.set(PackedMatrix.I16, 2L * rnd.nextInt(w.length), specials[k]);
        for (int k = 0; k < w.length / 50; k++) m.set(PackedMatrix.I16, 2L * rnd.nextInt(w.length), (short) (rnd.nextInt(0x400) | (rnd.nextBoolean() ? 0x8000 : 0)));
        for (int k = 0; k < extra.length; k++) m.set(PackedMatrix.I16, 2L * ((k * 7919L) % w.length), extra[k]);
        return new F16Matrix(m, rows, cols);
    }

    static float[] input(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        x[1] = 1e-40f; x[2] = -Float.MIN_VALUE; x[3] = 65535.99f; x[4] = -60000f; x[5] = 0f; x[6] = -0f;
        return x;
    }

    @Test
    void everyDecodePathGivesTheBitsOfDotOnAnyThreadCount() {
        boolean strided = KernelChoice.f16StridedRows, scaled = KernelChoice.f16ScaledInput, vectorScaling = F16Matrix.vectorScaling;
        SplittableRandom rnd = new SplittableRandom(5);
        try (Parallel p1 = new Parallel(1); Parallel p2 = new Parallel(2)) {
            for (int cols : new int[]{768, 37, 8, 5})
                for (int rows : new int[]{70, 37, 3}) {
                    F16Matrix finite = matrix(rows, cols, 31 + rows + cols);
                    F16Matrix special = matrix(rows, cols, 32 + rows + cols, (short) 0x7c00, (short) 0xfe01, (short) 0x7d00);
                    assertTrue(finite.allFinite());
                    assertFalse(special.allFinite());
                    float[] small = input(3 * cols, 33), large = input(3 * cols, 34);
                    large[cols + cols / 2] = 0x1p16f;   // token 1 cannot be scaled, tokens 0 and 2 can
                    for (F16Matrix w : new F16Matrix[]{finite, special})
                        for (float[] x : new float[][]{small, large})
                            for (int path = 0; path < 4; path++) {   // 3: strided + scaled, x scaled by the scalar loop
                                KernelChoice.f16StridedRows = path > 0;
                                KernelChoice.f16ScaledInput = path > 1;
                                F16Matrix.vectorScaling = path != 3;
                                for (int n = 1; n <= 3; n++) {
                                    float[] one = new float[n * rows], two = new float[n * rows], ragged = new float[n * rows];
                                    w.matmul(x, n, one, p1);
                                    w.matmul(x, n, two, p2);
                                    for (int from = 0; from < rows; ) {
                                        int to = Math.min(rows, from + 1 + rnd.nextInt(23));
                                        w.matmulRows(x, n, ragged, from, to);
                                        from = to;
                                    }
                                    for (int t = 0; t < n; t++)
                                        for (int r = 0; r < rows; r++) {
                                            String where = "path " + path + " [" + rows + ", " + cols + "] finite " + (w == finite) + " n " + n + " token " + t + " row " + r;
                                            int expected = Float.floatToIntBits(w.dot(r, x, t * cols));
                                            assertEquals(expected, Float.floatToIntBits(one[t * rows + r]), where);
                                            assertEquals(expected, Float.floatToIntBits(two[t * rows + r]), where);
                                            assertEquals(expected, Float.floatToIntBits(ragged[t * rows + r]), where);
                                        }
                                }
                            }
                    float[] row = new float[cols];
                    for (int r = 0; r < rows; r++) {
                        finite.dequantizeRow(r, row, 0);
                        double exact = 0, magnitude = 0;
                        for (int c = 0; c < cols; c++) { exact += (double) row[c] * small[c]; magnitude += Math.abs((double) row[c] * small[c]); }
                        assertEquals(finite.dotScalar(r, small, 0), finite.dot(r, small, 0), 1e-5 * magnitude + 1e-30, "row " + r);
                        assertEquals(exact, finite.dot(r, small, 0), 1e-5 * magnitude + 1e-30, "row " + r);
                        for (int c = 0; c < cols; c++)
                            assertEquals(Float.floatToRawIntBits(Float.float16ToFloat(finite.segment().get(PackedMatrix.I16, 2L * (r * cols + c)))),
                                    Float.floatToRawIntBits(row[c]), "row " + r + " col " + c);
                    }
                }
        } finally {
            KernelChoice.f16StridedRows = strided;
            KernelChoice.f16ScaledInput = scaled;
            F16Matrix.vectorScaling = vectorScaling;
        }
    }
}
