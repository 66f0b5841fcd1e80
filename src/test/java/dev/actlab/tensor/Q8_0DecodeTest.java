package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * Q8_0 decode (1-3 tokens) on every kernel ({@link KernelChoice#q8StridedRows} on 16 lanes, both of
 * {@link KernelChoice#q8RowDecode}): the bits of
 * {@link Q8_0Matrix#dot} with 1 and 2 threads, and dot against the scalar reference, for even
 * and odd block counts (dot takes two blocks per step and one left over).
 */
class Q8_0DecodeTest {
    @Test
    void bothDecodeKernelsGiveTheBitsOfDotOnAnyThreadCount() {
        boolean was = KernelChoice.q8RowDecode, wasStrided = KernelChoice.q8StridedRows;
        int wasMinCols = KernelChoice.q8StridedMinCols;
        KernelChoice.q8StridedMinCols = 0;   // every shape below takes the strided kernel when it is chosen
        try (Parallel p1 = new Parallel(1); Parallel p2 = new Parallel(2)) {
            for (int cols : new int[]{512, 544, 32})
                for (int rows : new int[]{70, 37, 130}) {
                    WeightMatrix w = QuantizedKernelTest.randomMatrix(DType.Q8_0, rows, cols, 21 + cols + rows);
                    float[] x = QuantizedKernelTest.randomVector(3 * cols, 22);
                    for (int kernel = 0; kernel < 3; kernel++) {
                        KernelChoice.q8StridedRows = kernel == 0;
                        KernelChoice.q8RowDecode = kernel == 1;
                        String kernelName = new String[]{"strided", "row", "rows4"}[kernel];
                        for (int n = 1; n <= 3; n++) {
                            float[] one = new float[n * rows], two = new float[n * rows];
                            w.matmul(x, n, one, p1);
                            w.matmul(x, n, two, p2);
                            for (int t = 0; t < n; t++)
                                for (int r = 0; r < rows; r++) {
                                    String where = "kernel " + kernelName + " [" + rows + ", " + cols + "] n " + n + " token " + t + " row " + r;
                                    assertEquals(Float.floatToRawIntBits(w.dot(r, x, t * cols)), Float.floatToRawIntBits(one[t * rows + r]), where);
                                    assertEquals(Float.floatToRawIntBits(one[t * rows + r]), Float.floatToRawIntBits(two[t * rows + r]), where);
                                }
                        }
                    }
                    float[] row = new float[cols];
                    for (int r = 0; r < rows; r++) {
                        w.dequantizeRow(r, row, 0);
                        double exact = 0, magnitude = 0;
                        for (int c = 0; c < cols; c++) { exact += (double) row[c] * x[c]; magnitude += Math.abs((double) row[c] * x[c]); }
                        assertEquals(w.dotScalar(r, x, 0), w.dot(r, x, 0), 1e-5 * magnitude + 1e-30, "row " + r);
                        assertEquals(exact, w.dot(r, x, 0), 1e-5 * magnitude + 1e-30, "row " + r);
                    }
                }
        } finally {
            KernelChoice.q8RowDecode = was;
            KernelChoice.q8StridedRows = wasStrided;
            KernelChoice.q8StridedMinCols = wasMinCols;
        }
    }
}
