package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The prefill GEMM on dequantized tiles against its scalar reference, per format, at 1 and 2 threads. */
class TiledMatmulTest {

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "Q8_0", "Q4_0"})
    void tileDequantizationEqualsTheScalarRow(DType t) { tilesEqualRows(t, 5, 544); }

    /** K-quants tile in whole 256-weight super-blocks (their rows are multiples of 256). */
    @ParameterizedTest
    @EnumSource(names = {"Q4_K", "Q5_K", "Q6_K"})
    void kQuantTilesEqualTheScalarRow(DType t) { tilesEqualRows(t, 5, 768); }

    private static void tilesEqualRows(DType t, int rows, int cols) {
        TiledMatmul.Tiles w = (TiledMatmul.Tiles) QuantizedKernelTest.randomMatrix(t, rows, cols, 3);
        float[] row = new float[cols], seg = new float[cols + 7];
        for (int r = 0; r < rows; r++) {
            w.dequantizeRow(r, row, 0);
            for (int col = 0; col < cols; col += 256) {
                int len = Math.min(256, cols - col);
                w.dequantize(r, col, len, seg, 7);
                for (int j = 0; j < len; j++)
                    assertEquals(Float.floatToRawIntBits(row[col + j]), Float.floatToRawIntBits(seg[7 + j]), t + " row " + r + " col " + (col + j));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "Q8_0", "Q4_0"})
    void matmulEqualsTheFmaChainReferenceAtOneAndTwoThreads(DType t) {
        // rows not a multiple of the 12-row strip, cols not a multiple of the 256-column tile,
        // tokens not a multiple of the token panel; 70 rows x 40 tokens, and more strips than one block
        matmulEqualsReference(t, new int[][]{{37, 544, 16}, {70, 288, 40}, {203, 96, 33}});
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_K", "Q5_K", "Q6_K"})
    void kQuantMatmulEqualsTheFmaChainReferenceAtOneAndTwoThreads(DType t) {
        matmulEqualsReference(t, new int[][]{{37, 512, 16}, {70, 256, 40}, {203, 768, 33}});
    }

    @Test
    void rowByRowWriteOutGivesTheSameBits() {   // KernelChoice.prefillTokenMajor off: the write-out before it, for A/B runs
        boolean saved = KernelChoice.prefillTokenMajor;
        try {
            KernelChoice.prefillTokenMajor = false;
            matmulEqualsReference(DType.F32, new int[][]{{70, 288, 40}, {203, 96, 33}});
        } finally {
            KernelChoice.prefillTokenMajor = saved;
        }
    }

    /** KernelChoice.prefillWidePanels: panels of 4 vectors (6 x 4 tiles) where n fills them, the rest in panels of 2. */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "Q4_K"})
    void widePanelsGiveTheSameBits(DType t) {
        boolean saved = KernelChoice.prefillWidePanels;
        try {
            KernelChoice.prefillWidePanels = true;
            // n = 4 L (one wide panel, nothing narrow), 6 L + 3 (a wide panel and two narrow ones), 9 L (two and one)
            int l = GemmKernel.L;
            matmulEqualsReference(t, new int[][]{{37, 512, 4 * l}, {70, 256, 6 * l + 3}, {203, 512, 9 * l}});
        } finally {
            KernelChoice.prefillWidePanels = saved;
        }
    }

    /** KernelChoice.prefillRowStream on (a block's rows dequantized for all columns up front, up to 3 chunks) and off. */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "Q4_K"})
    void rowStreamOnAndOffGiveTheSameBits(DType t) {
        boolean saved = KernelChoice.prefillRowStream;
        try {
            for (boolean on : new boolean[]{true, false}) {
                KernelChoice.prefillRowStream = on;
                matmulEqualsReference(t, new int[][]{{37, 512, 16}, {203, 768, 40}, {70, 1024, 33}});
            }
        } finally {
            KernelChoice.prefillRowStream = saved;
        }
    }

    /** Matrices of mixed formats and row counts that read the same x, in one region: each output is its reference's bits. */
    @Test
    void groupGivesEachMatrixTheBitsOfItsReference() {
        int cols = 512, n = 37;
        WeightMatrix[] ws = {QuantizedKernelTest.randomMatrix(DType.F32, 70, cols, 21), QuantizedKernelTest.randomMatrix(DType.F16, 13, cols, 22),
                QuantizedKernelTest.randomMatrix(DType.Q8_0, 203, cols, 23), QuantizedKernelTest.randomMatrix(DType.Q4_K, 24, cols, 24)};
        float[] x = QuantizedKernelTest.randomVector(n * cols, 25);
        for (int threads : new int[]{1, 2})
            try (Parallel p = new Parallel(threads)) {
                float[][] outs = new float[ws.length][];
                for (int m = 0; m < ws.length; m++) outs[m] = new float[n * ws[m].rows()];
                assertTrue(TiledGroup.multiply(ws, x, n, outs, p));
                for (int m = 0; m < ws.length; m++) {
                    float[] ref = new float[n * ws[m].rows()];
                    TiledMatmul.reference(ws[m], x, n, ref);
                    for (int i = 0; i < ref.length; i++)
                        assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(outs[m][i]), ws[m].dtype() + " matrix " + m + ", " + threads + " threads, at " + i);
                }
                assertFalse(TiledGroup.multiply(ws, x, TiledMatmul.MIN_TOKENS - 1, outs, p), "below the prefill's tokens: each matrix's own kernel");
            }
    }

    private static void matmulEqualsReference(DType t, int[][] shapes) {
        for (int[] s : shapes) {
            int rows = s[0], cols = s[1], n = s[2];
            WeightMatrix w = QuantizedKernelTest.randomMatrix(t, rows, cols, 11);
            float[] x = QuantizedKernelTest.randomVector(n * cols, 12);
            float[] ref = new float[n * rows], one = new float[n * rows], two = new float[n * rows];
            TiledMatmul.reference(w, x, n, ref);
            try (Parallel p1 = new Parallel(1); Parallel p2 = new Parallel(2)) {
                w.matmul(x, n, one, p1);
                w.matmul(x, n, two, p2);
            }
            for (int i = 0; i < ref.length; i++) {
                assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(one[i]), t + " " + rows + "x" + cols + " n " + n + " at " + i);
                assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(two[i]), t + " 2 threads at " + i);
            }
            // a different summation order than the decode dot, the same sum
            for (int tok = 0; tok < n; tok += 7)
                for (int r = 0; r < rows; r++) {
                    double mag = 0;
                    float[] row = new float[cols];
                    w.dequantizeRow(r, row, 0);
                    for (int k = 0; k < cols; k++) mag += Math.abs((double) row[k] * x[tok * cols + k]);
                    assertEquals(w.dot(r, x, tok * cols), one[tok * rows + r], 1e-5 * mag + 1e-30);
                }
        }
    }
}
