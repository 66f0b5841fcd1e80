package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The panel GEMM against a double-precision reference, and its bit-reproducibility claims. */
class F32PanelMatrixTest {
    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    @Test void matmulMatchesReferenceForAnyShape() {
        int[][] shapes = {{64, 3}, {100, 384}, {384, 384}, {1536, 384}, {384, 1536}, {7, 33}};
        for (int[] s : shapes) {
            int rows = s[0], cols = s[1];
            float[] w = random(rows * cols, rows * 31L + cols);
            F32PanelMatrix m = F32PanelMatrix.of(F32Matrix.of(w, rows, cols));
            for (int n : new int[]{1, 5, 6, 7, 13, 50, 100}) {
                float[] x = random(n * cols, n), out = new float[n * rows], out3 = new float[n * rows];
                try (Parallel one = new Parallel(1); Parallel three = new Parallel(3)) {
                    m.matmul(x, n, out, one);
                    m.matmul(x, n, out3, three);
                }
                assertArrayEquals(out, out3, "same bits on 1 and 3 threads");
                for (int t = 0; t < n; t++)
                    for (int r = 0; r < rows; r++) {
                        double ref = 0;
                        for (int k = 0; k < cols; k++) ref += (double) w[r * cols + k] * x[t * cols + k];
                        float got = out[t * rows + r];
                        assertEquals(ref, got, 1e-5 * Math.sqrt(cols), rows + "x" + cols + " n=" + n + " t=" + t + " r=" + r);
                        if (r % 17 == 0) {
                            assertEquals(m.dot(r, x, t * cols), got, "dot gives the matmul's bits");
                            assertEquals(m.dotScalar(r, x, t * cols), got, "dotScalar gives the matmul's bits");
                        }
                    }
            }
        }
    }

    @Test void packingKeepsEveryValue() {
        int rows = 130, cols = 17;
        float[] w = random(rows * cols, 9), wt = new float[w.length];
        for (int r = 0; r < rows; r++) for (int k = 0; k < cols; k++) wt[k * rows + r] = w[r * cols + k];
        F32PanelMatrix a = F32PanelMatrix.of(F32Matrix.of(w, rows, cols)), b = F32PanelMatrix.fromTransposed(wt, rows, cols);
        float[] row = new float[cols], row2 = new float[cols];
        for (int r = 0; r < rows; r++) {
            a.dequantizeRow(r, row, 0);
            b.dequantizeRow(r, row2, 0);
            for (int k = 0; k < cols; k++) { assertEquals(w[r * cols + k], row[k]); assertEquals(w[r * cols + k], row2[k]); }
        }
    }

    /** Bias and epilogue inside the tasks, and several matrices in one call, give the bits of a plain matmul followed by scalar steps. */
    @Test void fusedBiasEpilogueAndSeveralMatricesMatchSeparateSteps() {
        F32PanelMatrix.Epilogue square = (y, from, to) -> { for (int i = from; i < to; i++) y[i] = y[i] * y[i]; };
        int cols = 96;
        int[] rowsOf = {64, 100, 192};   // 100: a partial last panel
        F32PanelMatrix[] ms = new F32PanelMatrix[rowsOf.length];
        float[][] biases = new float[rowsOf.length][];
        for (int m = 0; m < ms.length; m++) {
            ms[m] = F32PanelMatrix.of(F32Matrix.of(random(rowsOf[m] * cols, 40 + m), rowsOf[m], cols));
            biases[m] = random(rowsOf[m], 50 + m);
        }
        for (int n : new int[]{1, 7, 16, 53}) {
            float[] x = random(n * cols, 60 + n);
            try (Parallel one = new Parallel(1); Parallel three = new Parallel(3)) {
                for (Parallel par : new Parallel[]{one, three}) {
                    float[][] all = new float[ms.length][];
                    for (int m = 0; m < ms.length; m++) all[m] = new float[n * rowsOf[m]];
                    F32PanelMatrix.matmulAll(ms, x, n, all, biases, null, par);
                    for (int m = 0; m < ms.length; m++) {
                        int rows = rowsOf[m];
                        float[] plain = new float[n * rows], fused = new float[n * rows];
                        ms[m].matmul(x, n, plain, one);
                        ms[m].matmul(x, n, fused, biases[m], square, par);
                        for (int t = 0; t < n; t++)
                            for (int r = 0; r < rows; r++) {
                                float biased = biases[m][r] + plain[t * rows + r];
                                assertEquals(biased, all[m][t * rows + r], "matmulAll m=" + m + " n=" + n + " t=" + t + " r=" + r);
                                assertEquals(biased * biased, fused[t * rows + r], "bias + epilogue m=" + m + " n=" + n + " t=" + t + " r=" + r);
                            }
                    }
                }
            }
        }
    }
}
