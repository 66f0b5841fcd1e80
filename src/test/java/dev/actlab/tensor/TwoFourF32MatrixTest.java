package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class TwoFourF32MatrixTest {
    /** Shapes with whole and partial chunks of 16 inputs, odd row counts and rows that are not multiples of 4. */
    private static final int[][] SHAPES = {{1, 4}, {3, 16}, {5, 20}, {7, 36}, {13, 100}, {64, 256}, {33, 1000}, {130, 768}, {66, 2048}, {9, 2100}};   // 4 column-quarter streams from 4 chunks; 2100: 131 chunks (3 after the streams) and a tail group

    /** Gaussian weights pruned 2:4 by magnitude, then some groups thinned to 1 or 0 non-zeros and some zeros made -0.0. */
    static float[] twoFour(SplittableRandom r, int rows, int cols) {
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        for (int row = 0; row < rows; row++) TwoFourF32Matrix.keepLargestTwo(w, row * cols, cols);
        for (int i = 0; i < w.length; i++) {
            double u = r.nextDouble();
            if (u < 0.05) w[i] = 0f;
            else if (w[i] == 0 && u < 0.2) w[i] = -0f;
        }
        return w;
    }

    /** Both layouts, on any machine: wide (2-bit positions, 16 lanes; the default with 512-bit vectors) and 8-lane (4-bit indices). */
    private static final boolean[] LAYOUTS = {true, false};

    private static String layout(boolean wide) { return wide ? "wide" : "8-lane"; }

    static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    @Test
    void vectorKernelEqualsScalarReferenceBitForBitAtOneAndTwoThreads() {
        for (boolean wide : LAYOUTS) vectorKernelEqualsScalarReference(wide);
    }

    private void vectorKernelEqualsScalarReference(boolean wide) {
        SplittableRandom r = new SplittableRandom(11);
        for (int[] s : SHAPES) {
            int rows = s[0], cols = s[1];
            F32Matrix dense = F32Matrix.of(twoFour(r, rows, cols), rows, cols);
            TwoFourF32Matrix m = TwoFourF32Matrix.of(dense, wide), other = TwoFourF32Matrix.of(dense, !wide);
            for (int n : new int[]{1, 3}) {
                float[] x = random(r, n * cols);
                float[] ref = new float[n * rows];
                for (int t = 0; t < n; t++)
                    for (int row = 0; row < rows; row++) {
                        ref[t * rows + row] = m.dotScalar(row, x, t * cols);
                        assertEquals(Float.floatToIntBits(ref[t * rows + row]), Float.floatToIntBits(m.dot(row, x, t * cols)),
                                layout(wide) + " dot, " + rows + "x" + cols + " row " + row);
                        assertEquals(Float.floatToIntBits(ref[t * rows + row]), Float.floatToIntBits(other.dot(row, x, t * cols)),
                                "the two layouts' bits, " + rows + "x" + cols + " row " + row);
                    }
                for (int threads : new int[]{1, 2}) {
                    float[] got = new float[n * rows];
                    try (Parallel p = new Parallel(threads)) { m.matmul(x, n, got, p); }
                    for (int i = 0; i < got.length; i++)
                        assertEquals(Float.floatToIntBits(ref[i]), Float.floatToIntBits(got[i]),
                                layout(wide) + " " + rows + "x" + cols + ", " + n + " tokens, " + threads + " threads, output " + i);
                }
            }
        }
    }

    /**
     * The compressed GEMV against the dense F32 kernel on the same pruned matrix. Both add the same
     * products w_i x_i (a zero weight adds exactly 0), in different orders (the dense kernel's lanes
     * run over all inputs, the compressed one's over the kept values), so they differ by float
     * rounding only: each sum of m terms is within gamma_m = m u / (1 - m u) (u = 2^-24) of the exact
     * value times sum |w_i x_i| (Higham, Accuracy and Stability, 4.2), so the two within twice that, m = cols.
     */
    @Test
    void compressedEqualsDenseKernelOnThePrunedMatrixWithinSummationRounding() {
        for (boolean wide : LAYOUTS) compressedEqualsDenseWithinRounding(wide);
    }

    private void compressedEqualsDenseWithinRounding(boolean wide) {
        SplittableRandom r = new SplittableRandom(12);
        for (int[] s : SHAPES) {
            int rows = s[0], cols = s[1];
            float[] w = twoFour(r, rows, cols);
            F32Matrix dense = F32Matrix.of(w, rows, cols);
            TwoFourF32Matrix m = TwoFourF32Matrix.of(dense, wide);
            float[] x = random(r, cols), yd = new float[rows], ys = new float[rows];
            dense.matmul(x, 1, yd, Parallel.shared());
            m.matmul(x, 1, ys, Parallel.shared());
            double u = Math.scalb(1.0, -24), gamma = cols * u / (1 - cols * u);
            int exact = 0;
            for (int row = 0; row < rows; row++) {
                double abs = 0;
                for (int c = 0; c < cols; c++) abs += Math.abs((double) w[row * cols + c] * x[c]);
                assertTrue(Math.abs(yd[row] - ys[row]) <= 2 * gamma * abs, layout(wide) + " " + rows + "x" + cols + " row " + row + ": dense " + yd[row] + ", 2:4 " + ys[row]);
                if (yd[row] == ys[row]) exact++;
            }
            assertTrue(exact < rows || cols <= 16 || rows < 8, "the orders differ, so some outputs should differ in the last bits");
        }
    }

    /**
     * With small integer weights and inputs every partial sum is an integer below 2^24, exact in
     * float whatever the order: the compressed GEMV must then give the dense kernel's bits.
     */
    @Test
    void compressedEqualsDenseKernelBitForBitWhenEverySumIsExact() {
        for (boolean wide : LAYOUTS) compressedEqualsDenseWhenExact(wide);
    }

    private void compressedEqualsDenseWhenExact(boolean wide) {
        SplittableRandom r = new SplittableRandom(15);
        for (int[] s : SHAPES) {
            int rows = s[0], cols = s[1];
            float[] w = twoFour(r, rows, cols), x = new float[cols];
            for (int i = 0; i < w.length; i++) if (w[i] != 0) w[i] = r.nextInt(-8, 9);
            for (int i = 0; i < cols; i++) x[i] = r.nextInt(-8, 9);
            F32Matrix dense = F32Matrix.of(w, rows, cols);
            TwoFourF32Matrix m = TwoFourF32Matrix.of(dense, wide);
            float[] yd = new float[rows], ys = new float[rows];
            dense.matmul(x, 1, yd, Parallel.shared());
            for (int threads : new int[]{1, 2}) {
                try (Parallel p = new Parallel(threads)) { m.matmul(x, 1, ys, p); }
                for (int row = 0; row < rows; row++)
                    assertEquals(Float.floatToIntBits(yd[row] + 0f), Float.floatToIntBits(ys[row] + 0f), layout(wide) + " " + rows + "x" + cols + " row " + row + ", " + threads + " threads");
            }
        }
    }

    /** Decode's row ranges (MatmulGroup splits rows anywhere, not on blocks of 4) give matmul's bits. */
    @Test
    void rowRangesGiveTheBitsOfTheWholeMatmul() {
        for (boolean wide : LAYOUTS) rowRangesGiveTheBitsOfTheWholeMatmul(wide);
    }

    private void rowRangesGiveTheBitsOfTheWholeMatmul(boolean wide) {
        SplittableRandom r = new SplittableRandom(16);
        int rows = 37, cols = 116;
        TwoFourF32Matrix m = TwoFourF32Matrix.of(F32Matrix.of(twoFour(r, rows, cols), rows, cols), wide);
        float[] x = random(r, 2 * cols), whole = new float[2 * rows];
        try (Parallel p = new Parallel(1)) { m.matmul(x, 2, whole, p); }
        int[][] ranges = {{0, 37}, {1, 2}, {3, 9}, {5, 6}, {13, 37}, {36, 37}, {0, 3}};
        for (int[] range : ranges) {
            float[] got = new float[2 * rows];
            m.matmulRows(x, 2, got, range[0], range[1]);
            for (int t = 0; t < 2; t++)
                for (int row = 0; row < rows; row++) {
                    float want = row >= range[0] && row < range[1] ? whole[t * rows + row] : 0f;
                    assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[t * rows + row]), "rows " + range[0] + ".." + range[1] + ", token " + t + " row " + row);
                }
        }
        try (Parallel p = new Parallel(3)) {
            float[] q = new float[2 * rows], k = new float[2 * rows];
            MatmulGroup.run(new WeightMatrix[]{m, m}, x, 2, new float[][]{q, k}, p);
            for (int i = 0; i < 2 * rows; i++) {
                assertEquals(Float.floatToIntBits(whole[i]), Float.floatToIntBits(q[i]), "group output 0, " + i);
                assertEquals(Float.floatToIntBits(whole[i]), Float.floatToIntBits(k[i]), "group output 1, " + i);
            }
        }
        assertTrue(MatmulGroup.fusable(m, m), "decode groups 2:4 matrices (q, k, v; gate and up) in one region");
        for (int threads : new int[]{1, 2}) {
            float[] g = new float[2 * rows], u = new float[2 * rows];
            try (Parallel p = new Parallel(threads)) { MatmulGroup.runPaired(m, m, x, 2, g, u, p, (from, to) -> { }); }
            for (int i = 0; i < 2 * rows; i++) {
                assertEquals(Float.floatToIntBits(whole[i]), Float.floatToIntBits(g[i]), "paired output 0, " + i + ", " + threads + " threads");
                assertEquals(Float.floatToIntBits(whole[i]), Float.floatToIntBits(u[i]), "paired output 1, " + i + ", " + threads + " threads");
            }
        }
    }

    @Test
    void storesTheKeptValuesAndPositionsExactly() {
        for (boolean wide : LAYOUTS) storesTheKeptValuesAndPositionsExactly(wide);
        assertEquals(FloatVector.SPECIES_PREFERRED.vectorBitSize() == 512 && !"off".equals(System.getProperty("actlab.twoFourWide")),
                TwoFourF32Matrix.of(F32Matrix.of(new float[8 * 64], 8, 64)).byteSize() == 8L * 64 / 2 * 4 + 8L * (64 / 16) * 2,
                "the wide layout is the default exactly where vectors are 512 bits");
    }

    private void storesTheKeptValuesAndPositionsExactly(boolean wide) {
        SplittableRandom r = new SplittableRandom(13);
        int rows = 9, cols = 52;
        float[] w = twoFour(r, rows, cols);
        TwoFourF32Matrix m = TwoFourF32Matrix.of(F32Matrix.of(w, rows, cols), wide);
        float[] row = new float[cols + 2];
        for (int i = 0; i < rows; i++) {
            m.dequantizeRow(i, row, 2);
            for (int c = 0; c < cols; c++) assertEquals(w[i * cols + c], row[2 + c], 0f, layout(wide) + " row " + i + " col " + c);
        }
        assertEquals((long) rows * cols * 4, m.denseByteSize());
        // rows a multiple of 4, cols of 16: exactly the kept values plus 32 bits of permute indices (wide: 16 bits of positions) per row and 16 inputs
        TwoFourF32Matrix whole = TwoFourF32Matrix.of(F32Matrix.of(twoFour(r, 8, 64), 8, 64), wide);
        assertEquals(8L * 64 / 2 * 4 + 8L * (64 / 16) * (wide ? 2 : 4), whole.byteSize(), "values + 8 indices of 4 bits (wide: positions of 2) per row and 16 inputs");
        assertTrue(m.byteSize() >= (long) rows * cols / 2 * 4 + (long) rows * 4 * 2, "padding rows and the tail words only add");
        // one row alone: input i of 8 is the only non-zero of its group (position 3 of group 1)
        float[] one = new float[8];
        one[7] = 2.5f;
        TwoFourF32Matrix o = TwoFourF32Matrix.of(F32Matrix.of(one, 1, 8), wide);
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8};
        assertEquals(20f, o.dot(0, x, 0), 0f);
        assertEquals(20f, o.dotScalar(0, x, 0), 0f);
    }

    @Test
    void detectsTwoFourAndRefusesAGroupOfThreeNonZeros() {
        SplittableRandom r = new SplittableRandom(14);
        int rows = 6, cols = 24;
        float[] w = twoFour(r, rows, cols);
        assertTrue(TwoFourF32Matrix.isTwoFour(F32Matrix.of(w, rows, cols)));
        // one group (row 4, inputs 8..11) with 3 non-zeros
        w[4 * cols + 8] = 0.5f; w[4 * cols + 9] = -0.25f; w[4 * cols + 10] = 1.5f; w[4 * cols + 11] = 0f;
        F32Matrix bad = F32Matrix.of(w, rows, cols);
        assertFalse(TwoFourF32Matrix.isTwoFour(bad));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TwoFourF32Matrix.of(bad));
        assertTrue(e.getMessage().contains("row 4, inputs 8..11"), e.getMessage());
        assertFalse(TwoFourF32Matrix.isTwoFour(F32Matrix.of(new float[3 * 6], 3, 6)), "inputs not in whole groups of 4");
        assertTrue(TwoFourF32Matrix.isTwoFour(F32Matrix.of(new float[3 * 8], 3, 8)), "all zeros is 2:4");
    }
}
