package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InputMajorF16Test {
    static WeightMatrix f16(SplittableRandom r, int rows, int cols) {
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian() * (i % 97 == 0 ? 1e-6f : 1f);   // some subnormal halves too
        MemorySegment seg = MemorySegment.ofArray(new byte[rows * cols * 2]);
        for (int row = 0; row < rows; row++) F16Matrix.quantize(w, row * cols, cols, seg, (long) row * cols * 2);
        return WeightMatrices.of(DType.F16, seg, rows, cols);
    }

    @Test
    void vectorKernelEqualsScalarReferenceBitForBitAndTheDenseDotOnZeroedInput() {
        SplittableRandom r = new SplittableRandom(5);
        for (int[] shape : new int[][]{{192, 512}, {67, 64}, {1100, 96}, {3, 7}, {1100, 256}}) {
            int rows = shape[0], cols = shape[1];
            WeightMatrix m = f16(r, rows, cols);
            InputMajorF16 t = InputMajorF16.of(m);
            assertEquals(2L * rows * cols, t.byteSize());
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
        }
    }

    @Test
    void onlyF16IsAccepted() {
        assertThrows(IllegalArgumentException.class, () -> InputMajorF16.of(InputMajorQ8Test.q8(new SplittableRandom(1), 4, 32)));
    }
}
