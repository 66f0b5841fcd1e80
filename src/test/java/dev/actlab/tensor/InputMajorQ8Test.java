package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InputMajorQ8Test {
    static WeightMatrix q8(SplittableRandom r, int rows, int cols) {
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        MemorySegment seg = MemorySegment.ofArray(new byte[rows * cols / 32 * 34]);
        for (int row = 0; row < rows; row++) Q8_0Matrix.quantize(w, row * cols, cols, seg, (long) row * cols / 32 * 34);
        return WeightMatrices.of(DType.Q8_0, seg, rows, cols);
    }

    @Test
    void vectorKernelEqualsScalarReferenceBitForBitAndTheDenseDotOnZeroedInput() {
        SplittableRandom r = new SplittableRandom(7);
        for (int[] shape : new int[][]{{192, 512}, {67, 64}, {1100, 96}, {1100, 256}, {4500, 64}, {17000, 64}}) {
            int rows = shape[0], cols = shape[1];
            WeightMatrix m = q8(r, rows, cols);
            InputMajorQ8 t = InputMajorQ8.of(m);
            assertNotNull(t, "a Q8_0 matrix is recovered exactly");
            float[] x = new float[cols];
            int[] idx = new int[cols];
            int nnz = 0;
            for (int c = 0; c < cols; c++) {
                x[c] = (float) r.nextGaussian();
                if (Math.abs(x[c]) < 0.6f) x[c] = 0; else idx[nnz++] = c;
            }
            float[] ref = new float[rows];
            t.gemvScalar(x, 0, idx, nnz, ref, 0);
            int defaultColumns = InputMajorQ8.registerColumns, defaultPass = InputMajorQ8.passColumns, defaultTile = InputMajorQ8.tileRows;
            try {
                for (int tile : new int[]{defaultTile, 1024})                        // one tile, or several (rows over 1024)
                    for (int registerColumns : new int[]{defaultColumns, 0, 32})   // sums in passes, in registers, or by the block's count
                        for (int pass : new int[]{4, 8})                           // kept columns a pass of the passes
                            for (int threads : new int[]{1, 2, 3}) {
                                InputMajorQ8.tileRows = tile;
                                InputMajorQ8.registerColumns = registerColumns;
                                InputMajorQ8.passColumns = pass;
                                float[] got = new float[rows];
                                try (Parallel p = new Parallel(threads)) { t.gemv(x, 0, idx, nnz, got, 0, p); }
                                assertArrayEquals(ref, got, 0f, rows + "x" + cols + ", " + threads + " threads, tile " + tile + ", registerColumns " + registerColumns + ", " + pass + " a pass");
                            }
            } finally {
                InputMajorQ8.registerColumns = defaultColumns;
                InputMajorQ8.passColumns = defaultPass;
                InputMajorQ8.tileRows = defaultTile;
            }
            for (int row = 0; row < rows; row++) {
                float dense = m.dot(row, x, 0);
                assertEquals(dense, ref[row], 1e-4f * (1 + Math.abs(dense)), "row " + row);
            }
        }
    }

    /**
     * Scales kept as halves: rows whose blocks have scales across the half range (subnormal halves, zero blocks
     * included) give the scalar reference's bits (Float.float16ToFloat of each scale) and agree with the dense kernel.
     */
    @Test
    void halfScalesOfEveryMagnitudeGiveTheScalarReferenceBits() {
        SplittableRandom r = new SplittableRandom(3);
        int rows = 700, cols = 256;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            int block = i / 32;
            float magnitude = block % 11 == 0 ? 0f : (float) Math.scalb(1.0, -(block % 29));   // down to 2^-28: subnormal half scales
            w[i] = magnitude * (float) r.nextGaussian();
        }
        MemorySegment seg = MemorySegment.ofArray(new byte[rows * cols / 32 * 34]);
        for (int row = 0; row < rows; row++) Q8_0Matrix.quantize(w, row * cols, cols, seg, (long) row * cols / 32 * 34);
        WeightMatrix m = WeightMatrices.of(DType.Q8_0, seg, rows, cols);
        InputMajorQ8 t = InputMajorQ8.of(m);
        assertNotNull(t, "a Q8_0 matrix is recovered exactly");
        float[] x = new float[cols];
        int[] idx = new int[cols];
        int nnz = 0;
        for (int c = 0; c < cols; c++) {
            x[c] = (float) r.nextGaussian();
            if (Math.abs(x[c]) < 0.5f) x[c] = 0; else idx[nnz++] = c;
        }
        float[] ref = new float[rows];
        t.gemvScalar(x, 0, idx, nnz, ref, 0);
        for (int threads : new int[]{1, 2}) {
            float[] got = new float[rows];
            try (Parallel p = new Parallel(threads)) { t.gemv(x, 0, idx, nnz, got, 0, p); }
            assertArrayEquals(ref, got, 0f, threads + " threads");
        }
        for (int row = 0; row < rows; row++) {
            float dense = m.dot(row, x, 0);
            assertEquals(dense, ref[row], 1e-4f * (1 + Math.abs(dense)), "row " + row);
        }
    }

    @Test
    void indicesOutOfOrderAreRefused() {
        InputMajorQ8 t = InputMajorQ8.of(q8(new SplittableRandom(1), 4, 32));
        assertThrows(IllegalArgumentException.class, () -> t.gemv(new float[32], 0, new int[]{5, 3}, 2, new float[4], 0, Parallel.shared()));
    }
}
