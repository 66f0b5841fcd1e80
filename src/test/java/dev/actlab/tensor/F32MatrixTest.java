package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The F32 kernels against their scalar reference, and bit-identity across paths and threads. */
class F32MatrixTest {
    private static final int[] COLS = {1, 3, 8, 15, 16, 17, 31, 32, 33, 47, 48, 64, 65, 100, 257, 773, 1024, 1040, 2085};   // > 1024: several column blocks
    private static final int[] ROWS = {1, 3, 4, 5, 16, 17, 35, 67};

    static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextDouble() * 2 - 1);
        return v;
    }

    @Test
    void dotAgreesWithTheScalarReference() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int cols : COLS) {
            F32Matrix m = F32Matrix.of(random(rnd, 5 * cols), 5, cols);
            float[] x = random(rnd, cols + 3);
            for (int r = 0; r < 5; r++) {
                float ref = m.dotScalar(r, x, 3), got = m.dot(r, x, 3);
                assertEquals(ref, got, 1e-5f * cols, "cols " + cols + " row " + r);
            }
        }
    }

    @Test
    void matmulEqualsDotBitForBitForEveryShapeAndTokenCount() {
        SplittableRandom rnd = new SplittableRandom(11);
        try (Parallel one = new Parallel(1); Parallel two = new Parallel(2); Parallel three = new Parallel(3)) {
            for (int cols : COLS) for (int rows : ROWS) {
                F32Matrix m = F32Matrix.of(random(rnd, rows * cols), rows, cols);
                for (int n = 1; n <= 9; n++) {
                    float[] x = random(rnd, n * cols);
                    float[] a = new float[n * rows], b = new float[n * rows], c = new float[n * rows];
                    m.matmul(x, n, a, one);
                    m.matmul(x, n, b, two);
                    m.matmul(x, n, c, three);
                    for (int t = 0; t < n; t++) for (int r = 0; r < rows; r++) {
                        String where = "[" + rows + ", " + cols + "] n " + n + " t " + t + " r " + r;
                        float dot = m.dot(r, x, t * cols);
                        assertEquals(Float.floatToRawIntBits(dot), Float.floatToRawIntBits(a[t * rows + r]), where + ": matmul differs from dot");
                        assertEquals(m.dotScalar(r, x, t * cols), dot, 1e-5f * cols, where + ": dot differs from the scalar reference");
                    }
                    assertArrayEquals(a, b, "2 threads differ from 1");
                    assertArrayEquals(a, c, "3 threads differ from 1");
                }
            }
        }
    }

    @Test
    void matmulOnALargerMatrixUsesManyChunksAndStillMatches() {
        SplittableRandom rnd = new SplittableRandom(3);
        int rows = 1030, cols = 96, n = 6;
        F32Matrix m = F32Matrix.of(random(rnd, rows * cols), rows, cols);
        float[] x = random(rnd, n * cols);
        float[] a = new float[n * rows], b = new float[n * rows];
        try (Parallel one = new Parallel(1); Parallel two = new Parallel(2)) {
            m.matmul(x, n, a, one);
            m.matmul(x, n, b, two);
        }
        assertArrayEquals(a, b);
        for (int t = 0; t < n; t++) for (int r = 0; r < rows; r++) assertEquals(m.dot(r, x, t * cols), a[t * rows + r]);
    }

    @Test
    void decodeWithStridedOrAdjacentRowsEqualsDotBitForBit() {
        SplittableRandom rnd = new SplittableRandom(13);
        boolean saved = KernelChoice.f32StridedRows;
        try (Parallel one = new Parallel(1); Parallel two = new Parallel(2); Parallel three = new Parallel(3)) {
            for (int[] shape : new int[][]{{1030, 773}, {2053, 96}, {611, 2085}, {35, 17}}) {
                int rows = shape[0], cols = shape[1];
                F32Matrix m = F32Matrix.of(random(rnd, rows * cols), rows, cols);
                for (int n = 1; n <= 3; n++) {
                    float[] x = random(rnd, n * cols);
                    for (boolean strided : new boolean[]{true, false}) {
                        KernelChoice.f32StridedRows = strided;
                        for (Parallel par : new Parallel[]{one, two, three}) {
                            float[] out = new float[n * rows];
                            m.matmul(x, n, out, par);
                            for (int t = 0; t < n; t++) for (int r = 0; r < rows; r++)
                                assertEquals(Float.floatToRawIntBits(m.dot(r, x, t * cols)), Float.floatToRawIntBits(out[t * rows + r]),
                                        "[" + rows + ", " + cols + "] n " + n + " strided " + strided + " threads " + par.threads() + " t " + t + " r " + r);
                        }
                        // matmulRows over ragged ranges (MatmulGroup's chunks start anywhere)
                        float[] out = new float[n * rows];
                        for (int from = 0, len = 1; from < rows; from += len, len = len * 3 + 1)
                            m.matmulRows(x, n, out, from, Math.min(rows, from + len));
                        for (int t = 0; t < n; t++) for (int r = 0; r < rows; r++)
                            assertEquals(Float.floatToRawIntBits(m.dot(r, x, t * cols)), Float.floatToRawIntBits(out[t * rows + r]), "matmulRows t " + t + " r " + r);
                    }
                }
            }
        } finally {
            KernelChoice.f32StridedRows = saved;
        }
    }

    @Test
    void lanesSumKeepsThePairwiseOrder() {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] v = new float[FloatVector.SPECIES_PREFERRED.length()];
        for (int i = 0; i < 2000; i++) {
            for (int j = 0; j < v.length; j++) v[j] = (float) ((rnd.nextDouble() - 0.5) * Math.pow(10, rnd.nextInt(-8, 8)));
            FloatVector fv = FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, v, 0);
            assertEquals(Float.floatToRawIntBits(Lanes.sumScalar(fv)), Float.floatToRawIntBits(Lanes.sum(fv)));
        }
    }
}
