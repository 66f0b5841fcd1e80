package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InputMajorQ4Test {
    static WeightMatrix q4(SplittableRandom r, int rows, int cols) {
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        MemorySegment seg = MemorySegment.ofArray(new byte[rows * cols / 32 * 18]);
        for (int row = 0; row < rows; row++) Q4_0Matrix.quantize(w, row * cols, cols, seg, (long) row * cols / 32 * 18);
        return WeightMatrices.of(DType.Q4_0, seg, rows, cols);
    }

    @Test
    void vectorKernelEqualsScalarReferenceBitForBitAndTheDenseDotOnZeroedInput() {
        SplittableRandom r = new SplittableRandom(11);
        for (int[] shape : new int[][]{{192, 512}, {67, 64}, {1100, 96}, {5, 32}, {1100, 256}}) {
            int rows = shape[0], cols = shape[1];
            WeightMatrix m = q4(r, rows, cols);
            InputMajorQ4 t = InputMajorQ4.of(m);
            assertTrue(t.byteSize() <= (long) (rows + 64) * cols / 2 + (long) rows * cols / 8, "about 0.625 bytes a weight: " + t.byteSize());
            float[] x = new float[cols];
            int[] idx = new int[cols];
            int nnz = 0;
            for (int c = 0; c < cols; c++) {
                x[c] = (float) r.nextGaussian();
                if (Math.abs(x[c]) < 0.6f) x[c] = 0; else idx[nnz++] = c;
            }
            float[] ref = new float[rows];
            t.gemvScalar(x, 0, idx, nnz, ref, 0);
            for (int threads : new int[]{1, 2, 3}) {
                float[] got = new float[rows];
                try (Parallel p = new Parallel(threads)) { t.gemv(x, 0, idx, nnz, got, 0, p); }
                assertArrayEquals(ref, got, 0f, rows + "x" + cols + ", " + threads + " threads");
            }
            for (int row = 0; row < rows; row++) {
                float dense = m.dotScalar(row, x, 0);
                assertEquals(dense, ref[row], 1e-4f * (1 + Math.abs(dense)), "row " + row);
            }
            // every input kept: the whole product, as the row-major kernel computes it
            int[] all = new int[cols];
            for (int c = 0; c < cols; c++) { all[c] = c; x[c] = (float) r.nextGaussian(); }
            float[] full = new float[rows];
            t.gemv(x, 0, all, cols, full, 0, Parallel.shared());
            for (int row = 0; row < rows; row++) assertEquals(m.dotScalar(row, x, 0), full[row], 1e-4f * (1 + Math.abs(full[row])), "all kept, row " + row);
        }
    }

    @Test
    void onlyQ4_0IsAcceptedAndIndicesMustIncrease() {
        assertThrows(IllegalArgumentException.class, () -> InputMajorQ4.of(InputMajorQ8Test.q8(new SplittableRandom(1), 4, 32)));
        InputMajorQ4 t = InputMajorQ4.of(q4(new SplittableRandom(1), 4, 32));
        assertThrows(IllegalArgumentException.class, () -> t.gemv(new float[32], 0, new int[]{5, 3}, 2, new float[4], 0, Parallel.shared()));
    }
}
