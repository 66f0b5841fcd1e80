package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every register tile against {@link GemmKernel#reference}, bit for bit: strided C (the columns
 * between tiles untouched), each A layout, lengths from 0 past the j tile, starting from C or from zero.
 */
class GemmKernelTest {
    private static final int L = GemmKernel.L, MR = GemmKernel.MR, P2 = GemmKernel.P2, P4 = GemmKernel.P4;
    private static final int[] LENGTHS = {0, 1, 7, 100, 300};

    @Test
    void twelveByTwoTilesInEveryALayout() {
        for (int len : LENGTHS) {
            SplittableRandom rng = new SplittableRandom(len);
            int ldc = P2 + 5, cOff = 3, lda = len + 9, aOff = 2, bOff = 4;
            float[] b = gaussian(bOff + len * P2, rng), c0 = gaussian(cOff + MR * ldc, rng);
            // rows in place: A[i, j] = a[aOff + i lda + j]
            float[] a = gaussian(aOff + MR * lda, rng);
            check(c0, cOff, ldc, false, a, aOff, lda, 1, b, bOff, P2, MR, P2, len,
                    c -> GemmKernel.rows12x2(c, cOff, ldc, a, aOff, lda, b, bOff, len), "rows, len " + len);
            // transposed: A[i, j] = at[aOff + j step + i]
            int step = MR + 3;
            float[] at = gaussian(aOff + Math.max(1, len) * step, rng);
            check(c0, cOff, ldc, false, at, aOff, 1, step, b, bOff, P2, MR, P2, len,
                    c -> GemmKernel.rows12x2Transposed(c, cOff, ldc, at, aOff, step, b, bOff, len), "transposed, len " + len);
            // the 6 x 2 tile reading its transposed A in place (6 consecutive floats per j, step apart)
            check(c0, cOff, ldc, false, at, aOff, 1, step, b, bOff, P2, 6, P2, len,
                    c -> GemmKernel.rows6x2Transposed(c, cOff, ldc, at, aOff, step, b, bOff, len), "6 x 2 transposed, len " + len);
            // row-packed at the constant stride RS (a strip never holds more than a j tile)
            int plen = Math.min(len, Gemm.KC);
            float[] ap = gaussian(aOff + MR * GemmKernel.RS, rng);
            check(c0, cOff, ldc, false, ap, aOff, GemmKernel.RS, 1, b, bOff, P2, MR, P2, plen,
                    c -> GemmKernel.rows12x2Packed(c, cOff, ldc, ap, aOff, b, bOff, plen), "packed rows, len " + plen);
        }
    }

    @Test
    void sixRowTilesFromCAndFromZero() {
        for (int len : LENGTHS) {
            for (boolean zero : new boolean[]{false, true}) {
                SplittableRandom rng = new SplittableRandom(len * 2L + (zero ? 1 : 0));
                int ldc = P4 + 3, cOff = 1, lda = len + 4, aOff = 5, bOff = 2;
                float[] b = gaussian(bOff + len * P4, rng), c0 = gaussian(cOff + 6 * ldc, rng), a = gaussian(aOff + 6 * lda, rng);
                if (zero) for (int i = 0; i < c0.length; i++) if (i % 3 == 0) c0[i] = Float.NaN;   // never read
                String what = "len " + len + (zero ? ", from zero" : ", from C");
                check(c0, cOff, ldc, zero, a, aOff, lda, 1, b, bOff, P4, 6, P4, len,
                        c -> GemmKernel.rows6x4(c, cOff, ldc, zero, a, aOff, lda, b, bOff, len), "6 x 4, " + what);
                float[] b2 = gaussian(bOff + len * P2, rng);
                check(c0, cOff, ldc, zero, a, aOff, lda, 1, b2, bOff, P2, 6, P2, len,
                        c -> GemmKernel.rows6x2(c, cOff, ldc, zero, a, aOff, lda, b2, bOff, len), "6 x 2, " + what);
                for (int half : new int[]{0, P2})   // two vectors out of each P4-wide row of b
                    check(c0, cOff, ldc, zero, a, aOff, lda, 1, b, bOff + half, P4, 6, P2, len,
                            c -> GemmKernel.rows6x2Strided(c, cOff, ldc, zero, a, aOff, lda, b, bOff + half, P4, len), "6 x 2 strided at " + half + ", " + what);
            }
        }
    }

    private void check(float[] c0, int cOff, int ldc, boolean zero, float[] a, int aOff, int aRow, int aCol,
                       float[] b, int bOff, int ldb, int rows, int cols, int len, java.util.function.Consumer<float[]> tile, String what) {
        float[] want = c0.clone(), got = c0.clone();
        GemmKernel.reference(want, cOff, ldc, zero, a, aOff, aRow, aCol, b, bOff, ldb, rows, cols, len);
        tile.accept(got);
        assertArrayEquals(want, got, what);
    }

    private static float[] gaussian(int n, SplittableRandom rng) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian();
        return v;
    }
}
