package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * The opt-in integer Q8_0 decode ({@link Q8_0Matrix#intDecode}, llama.cpp's Q8_0 x Q8_0 arithmetic): the kernel
 * equals its scalar reference {@link Q8_0Matrix#dotIntScalar} bit for bit with 1 and 2 threads, 1-3 tokens, whole
 * matrices and ragged row ranges, even and odd block counts; the reference equals an independent float64 dot of
 * the weights with x rounded by {@link GgmlInputRounding#Q8_0}; the integer form of that rounding gives the same
 * values as the rounding itself.
 */
class Q8_0IntDecodeTest {
    @Test
    void intDecodeEqualsItsScalarReferenceOnAnyThreadCount() {
        boolean was = Q8_0Matrix.intDecode;
        try (Parallel p1 = new Parallel(1); Parallel p2 = new Parallel(2)) {
            Q8_0Matrix.intDecode = true;
            for (int cols : new int[]{512, 544, 32, 2048})
                for (int rows : new int[]{70, 37}) {
                    Q8_0Matrix w = (Q8_0Matrix) QuantizedKernelTest.randomMatrix(DType.Q8_0, rows, cols, 31 + cols + rows);
                    float[] x = wideRangeInput(3 * cols, 32 + cols);
                    for (int n = 1; n <= 3; n++) {
                        float[] one = new float[n * rows], two = new float[n * rows], ragged = new float[n * rows];
                        w.matmul(x, n, one, p1);
                        w.matmul(x, n, two, p2);
                        for (int from = 0; from < rows; from += 13) w.matmulRows(x, n, ragged, from, Math.min(rows, from + 13));
                        for (int t = 0; t < n; t++)
                            for (int r = 0; r < rows; r++) {
                                String where = "[" + rows + ", " + cols + "] n " + n + " token " + t + " row " + r;
                                int want = Float.floatToRawIntBits(w.dotIntScalar(r, x, t * cols));
                                assertEquals(want, Float.floatToRawIntBits(one[t * rows + r]), where);
                                assertEquals(want, Float.floatToRawIntBits(two[t * rows + r]), where + ", 2 threads");
                                assertEquals(want, Float.floatToRawIntBits(ragged[t * rows + r]), where + ", ragged ranges");
                            }
                    }
                    // the reference against a float64 dot of the weights with llama.cpp's rounded x
                    float[] xr = x.clone(), row = new float[cols];
                    GgmlInputRounding.Q8_0.round(xr, 0, cols);
                    for (int r = 0; r < rows; r++) {
                        w.dequantizeRow(r, row, 0);
                        double exact = 0, magnitude = 0;
                        for (int c = 0; c < cols; c++) { exact += (double) row[c] * xr[c]; magnitude += Math.abs((double) row[c] * xr[c]); }
                        assertEquals(exact, w.dotIntScalar(r, x, 0), 1e-5 * magnitude + 1e-30, "row " + r);
                    }
                }
        } finally {
            Q8_0Matrix.intDecode = was;
        }
    }

    @Test
    void integerRoundingGivesTheValuesOfGgmlInputRounding() {
        float[] x = wideRangeInput(32 * 40, 5);
        for (int i = 0; i < 32; i++) x[32 * 3 + i] = 0f;             // an all-zero block: d = 0
        x[32 * 4 + 7] = -1e-30f;                                      // a block with one tiny value
        for (int i = 0; i < 32; i++) x[32 * 5 + i] = i % 2 == 0 ? 2.5f : -0.5f;   // ties in x * 127 / amax
        float[] rounded = x.clone();
        GgmlInputRounding.Q8_0.round(rounded, 0, x.length);
        int[] pairs = new int[16];
        for (int b = 0; b < x.length / 32; b++) {
            float d = GgmlInputRounding.q8_0Ints(x, 32 * b, pairs, 0);
            for (int j = 0; j < 32; j++) {
                int q = (short) (j % 2 == 0 ? pairs[j / 2] : pairs[j / 2] >> 16);
                assertTrue(Math.abs(q) <= 127, "block " + b + " value " + j + ": " + q);
                // == rather than the bits: the rounding keeps the sign of a zero (-0.0), an integer zero has none
                assertTrue(rounded[32 * b + j] == d * q, "block " + b + " value " + j + ": " + rounded[32 * b + j] + " vs " + d * q);
            }
        }
    }

    /** Gaussian values times e^gaussian: blocks with very different scales, as activations have. */
    static float[] wideRangeInput(int n, long seed) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian()));
        return x;
    }
}
