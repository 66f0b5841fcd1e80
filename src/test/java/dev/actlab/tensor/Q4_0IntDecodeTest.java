package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The opt-in integer Q4_0 decode ({@link Q4_0Matrix#intDecode}, llama.cpp's Q4_0 x Q8_0 arithmetic): the kernel
 * equals its scalar reference {@link Q4_0Matrix#dotIntScalar} bit for bit with 1 and 2 threads, 1-3 tokens, whole
 * matrices and ragged row ranges, even and odd block counts, with nibbles 0 and 15 and x values of +-127 (the
 * extremes of the 16-bit sums); the reference equals an independent float64 dot of the weights with x rounded by
 * {@link GgmlInputRounding#Q8_0}.
 */
class Q4_0IntDecodeTest {
    @Test
    void intDecodeEqualsItsScalarReferenceOnAnyThreadCount() {
        Assumptions.assumeTrue(QuantLanes.L == 16, "the integer Q4_0 decode runs on 512-bit lanes only");
        boolean was = Q4_0Matrix.intDecode;
        try (Parallel p1 = new Parallel(1); Parallel p2 = new Parallel(2)) {
            Q4_0Matrix.intDecode = true;
            for (int cols : new int[]{512, 544, 32, 2048})
                for (int rows : new int[]{70, 37}) {
                    Q4_0Matrix w = (Q4_0Matrix) QuantizedKernelTest.randomMatrix(DType.Q4_0, rows, cols, 31 + cols + rows);
                    extremeRow(w, 0);
                    float[] x = Q8_0IntDecodeTest.wideRangeInput(3 * cols, 32 + cols);
                    for (int i = 0; i < 32; i++) x[i] = i % 3 == 0 ? -7f : 7f;   // a block of +-127 after rounding
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
                }
        } finally {
            Q4_0Matrix.intDecode = was;
        }
    }

    @Test
    void scalarReferenceEqualsAFloat64DotWithGgmlsRoundedInput() {
        for (int cols : new int[]{544, 2048}) {
            int rows = 23;
            Q4_0Matrix w = (Q4_0Matrix) QuantizedKernelTest.randomMatrix(DType.Q4_0, rows, cols, 7 + cols);
            extremeRow(w, 1);
            float[] x = Q8_0IntDecodeTest.wideRangeInput(cols, 9 + cols);
            float[] xr = x.clone(), row = new float[cols];
            GgmlInputRounding.Q8_0.round(xr, 0, cols);
            for (int r = 0; r < rows; r++) {
                w.dequantizeRow(r, row, 0);
                double exact = 0, magnitude = 0;
                for (int c = 0; c < cols; c++) { exact += (double) row[c] * xr[c]; magnitude += Math.abs((double) row[c] * xr[c]); }
                assertEquals(exact, w.dotIntScalar(r, x, 0), 1e-5 * magnitude + 1e-30, "[" + rows + ", " + cols + "] row " + r);
            }
        }
    }

    /** Row r's quants alternately all 0 (q - 8 = -8) and all 15 (q - 8 = 7) by block: the largest 16-bit sums. */
    private static void extremeRow(Q4_0Matrix w, int r) {
        for (int b = 0; b < w.blocks; b++)
            for (int k = 0; k < 16; k++)
                w.data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, r * w.rowBytes + 18L * b + 2 + k, (byte) (b % 2 == 0 ? 0x00 : 0xFF));
    }
}
