package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InputMajorF32Test {
    private static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    @Test
    void vectorKernelEqualsScalarReferenceBitForBitAtAnyThreadCount() {
        SplittableRandom r = new SplittableRandom(3);
        // rows that are and are not multiples of the lane blocks; one tile and two (4500 rows: two tiles on one thread, one per chunk on two)
        for (int[] shape : new int[][]{{192, 512}, {67, 33}, {1000, 300}, {5, 7}, {2100, 40}, {4500, 64}}) {
            int rows = shape[0], cols = shape[1];
            F32Matrix m = F32Matrix.of(random(r, rows * cols), rows, cols);
            InputMajorF32 t = InputMajorF32.of(m);
            float[] x = random(r, cols + 3);
            int[] idx = new int[cols];
            int nnz = 0;
            for (int c = 0; c < cols; c++) if (r.nextDouble() < 0.4) idx[nnz++] = c;
            float[] ref = new float[rows + 2];
            t.gemvScalar(x, 3, idx, nnz, ref, 2);
            for (int threads : new int[]{1, 2, 3}) {
                float[] got = new float[rows + 2];
                try (Parallel p = new Parallel(threads)) { t.gemv(x, 3, idx, nnz, got, 2, p); }
                assertArrayEquals(ref, got, 0f, rows + "x" + cols + " with " + threads + " threads");
            }
        }
    }

    @Test
    void everyPassWidthAndStreamCountEqualsItsScalarReference() {
        SplittableRandom r = new SplittableRandom(6);
        int keepPass = InputMajorF32.passColumns, keepStreams = InputMajorF32.streams, keepTile = InputMajorF32.tileRows;
        try {
            for (int[] shape : new int[][]{{768, 768}, {1100, 90}, {67, 100}, {4500, 64}, {40, 9}}) {
                int rows = shape[0], cols = shape[1];
                InputMajorF32 t = InputMajorF32.of(F32Matrix.of(random(r, rows * cols), rows, cols));
                float[] x = random(r, cols);
                int[] idx = new int[cols];
                int nnz = 0;
                for (int c = 0; c < cols; c++) if (r.nextDouble() < 0.5) idx[nnz++] = c;
                for (int tile : new int[]{keepTile, 1024, 16384})
                    for (int streams : new int[]{1, 4})
                        for (int pass : new int[]{0, 4, 8, 16}) {
                            InputMajorF32.tileRows = tile;
                            InputMajorF32.streams = streams;
                            InputMajorF32.passColumns = pass;
                            float[] ref = new float[rows];
                            t.gemvScalar(x, 0, idx, nnz, ref, 0);
                            for (int threads : new int[]{1, 2, 3}) {
                                float[] got = new float[rows];
                                try (Parallel p = new Parallel(threads)) { t.gemv(x, 0, idx, nnz, got, 0, p); }
                                assertArrayEquals(ref, got, 0f, rows + "x" + cols + ", tile " + tile + ", " + streams + " streams, " + pass + " a pass, " + threads + " threads");
                            }
                        }
            }
        } finally {
            InputMajorF32.passColumns = keepPass;
            InputMajorF32.streams = keepStreams;
            InputMajorF32.tileRows = keepTile;
        }
    }

    @Test
    void sparseGemvEqualsDenseDotOnTheZeroedInput() {
        SplittableRandom r = new SplittableRandom(4);
        int rows = 256, cols = 384;
        F32Matrix m = F32Matrix.of(random(r, rows * cols), rows, cols);
        InputMajorF32 t = InputMajorF32.of(m);
        float[] x = random(r, cols);
        int[] idx = new int[cols];
        int nnz = 0;
        for (int c = 0; c < cols; c++) {
            if (Math.abs(x[c]) < 0.7f) x[c] = 0; else idx[nnz++] = c;
        }
        assertTrue(nnz > 0 && nnz < cols);
        float[] sparse = new float[rows];
        t.gemv(x, 0, idx, nnz, sparse, 0, Parallel.shared());
        for (int row = 0; row < rows; row++) {
            float dense = m.dot(row, x, 0);
            assertEquals(dense, sparse[row], 1e-4f * (1 + Math.abs(dense)), "row " + row);
        }
        // all columns given: the full product
        int[] all = new int[cols];
        for (int c = 0; c < cols; c++) all[c] = c;
        float[] full = new float[rows];
        t.gemv(x, 0, all, cols, full, 0, Parallel.shared());
        for (int row = 0; row < rows; row++) assertEquals(m.dot(row, x, 0), full[row], 1e-4f * (1 + Math.abs(full[row])));
    }

    @Test
    void dequantizedFormatsAreCopiedExactly() {
        SplittableRandom r = new SplittableRandom(5);
        int rows = 8, cols = 64;
        float[] w = random(r, rows * cols);
        java.lang.foreign.MemorySegment seg = java.lang.foreign.MemorySegment.ofArray(new byte[rows * cols / 32 * 34]);
        for (int rr = 0; rr < rows; rr++) Q8_0Matrix.quantize(w, rr * cols, cols, seg, (long) rr * cols / 32 * 34);
        WeightMatrix q = WeightMatrices.of(DType.Q8_0, seg, rows, cols);
        InputMajorF32 t = InputMajorF32.of(q);
        float[] row = new float[cols];
        float[] x = new float[cols];
        int[] one = {0};
        for (int c = 0; c < cols; c++) {
            x[c] = 1; one[0] = c;
            float[] col = new float[rows];
            t.gemvScalar(x, 0, one, 1, col, 0);
            for (int rr = 0; rr < rows; rr++) { q.dequantizeRow(rr, row, 0); assertEquals(row[c], col[rr], 0f); }
            x[c] = 0;
        }
    }

    @Test
    void badIndicesAreRefused() {
        InputMajorF32 t = InputMajorF32.of(F32Matrix.of(new float[12], 3, 4));
        var e = assertThrows(IllegalArgumentException.class, () -> t.gemv(new float[4], 0, new int[]{1, 4}, 2, new float[3], 0, Parallel.shared()));
        assertTrue(e.getMessage().contains("index 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.gemv(new float[3], 0, new int[]{1}, 1, new float[3], 0, Parallel.shared()));
    }
}
