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
}
