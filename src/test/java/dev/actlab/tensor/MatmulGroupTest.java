package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Decode's fused region: each output equals its matrix's own matmul (and dot), at 1 and 2 threads. */
class MatmulGroupTest {

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "Q8_0", "Q4_0", "Q4_K"})
    void groupEqualsEachMatmulBitForBit(DType t) {
        int cols = 512;
        int[] rows = {70, 37, 16};   // chunks of the joint range start inside a matrix and straddle two
        WeightMatrix[] ms = new WeightMatrix[rows.length];
        for (int i = 0; i < rows.length; i++) ms[i] = QuantizedKernelTest.randomMatrix(t, rows[i], cols, 20 + i);
        for (int n : new int[]{1, 3}) {
            float[] x = QuantizedKernelTest.randomVector(n * cols, 5);
            float[][] one = new float[rows.length][], two = new float[rows.length][], own = new float[rows.length][];
            for (int i = 0; i < rows.length; i++) { one[i] = new float[n * rows[i]]; two[i] = new float[n * rows[i]]; own[i] = new float[n * rows[i]]; }
            try (Parallel p1 = new Parallel(1); Parallel p2 = new Parallel(2)) {
                MatmulGroup.run(ms, x, n, one, p1);
                MatmulGroup.run(ms, x, n, two, p2);
                for (int i = 0; i < rows.length; i++) ms[i].matmul(x, n, own[i], p2);
            }
            for (int i = 0; i < rows.length; i++) {
                assertArrayEquals(own[i], one[i], t + " matrix " + i + " n " + n);
                assertArrayEquals(own[i], two[i], t + " matrix " + i + " n " + n + ", 2 threads");
                for (int r = 0; r < rows[i]; r++)
                    assertEquals(Float.floatToRawIntBits(ms[i].dot(r, x, 0)), Float.floatToRawIntBits(one[i][r]), t + " row " + r + " vs dot");
            }
        }
    }
    /** Gate, up and the product in one region equal the two matmuls followed by the product, at 1 and 2 threads. */
    @ParameterizedTest
    @EnumSource(names = {"F32", "Q8_0"})
    void pairedEqualsTwoMatmulsAndTheProduct(DType t) {
        int rows = 300, cols = 256;   // several chunks at 2 threads, one not a multiple of 16 rows
        WeightMatrix a = QuantizedKernelTest.randomMatrix(t, rows, cols, 31), b = QuantizedKernelTest.randomMatrix(t, rows, cols, 32);
        for (int n : new int[]{1, 3}) {
            float[] x = QuantizedKernelTest.randomVector(n * cols, 6);
            float[] ga = new float[n * rows], ub = new float[n * rows];
            try (Parallel p1 = new Parallel(1)) { a.matmul(x, n, ga, p1); b.matmul(x, n, ub, p1); }
            for (int i = 0; i < ga.length; i++) ga[i] = ga[i] * 0.5f + ub[i];   // any element-wise product of the two
            for (int threads : new int[]{1, 2}) {
                float[] g = new float[n * rows], u = new float[n * rows];
                try (Parallel p = new Parallel(threads)) {
                    MatmulGroup.runPaired(a, b, x, n, g, u, p, (from, to) -> {
                        for (int tok = 0; tok < n; tok++) for (int i = tok * rows + from; i < tok * rows + to; i++) g[i] = g[i] * 0.5f + u[i];
                    });
                }
                assertArrayEquals(ga, g, t + " n " + n + ", " + threads + " threads");
            }
        }
    }

    @org.junit.jupiter.api.Test
    void pairedRejectsMatricesOfDifferentShapes() {
        WeightMatrix a = QuantizedKernelTest.randomMatrix(DType.F32, 64, 64, 1), b = QuantizedKernelTest.randomMatrix(DType.F32, 32, 64, 2);
        try (Parallel p = new Parallel(1)) {
            assertThrows(IllegalArgumentException.class, () -> MatmulGroup.runPaired(a, b, new float[64], 1, new float[64], new float[64], p, (f, t) -> {}));
        }
    }
}
