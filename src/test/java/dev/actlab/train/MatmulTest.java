package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.tensor.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The blocked GEMM (C += op(A) op(B), either operand stored transposed) against a plain scalar
 * loop: each element must be C + the fused multiply-add chain over j in index order, bit for
 * bit, for every thread count. The shapes straddle the register block (12 rows x 32 columns at
 * 16 lanes, 12 x 16 at 8), the row block, the j tile (256) and the vector length.
 */
class MatmulTest {
    private static final int[][] SHAPES = {   // {M, J, K}
            {1, 1, 1}, {1, 7, 33}, {11, 5, 15}, {12, 256, 32}, {13, 257, 31}, {25, 40, 17},
            {97, 300, 70}, {200, 33, 100}, {24, 600, 64}, {130, 520, 48}, {3, 2, 129}};

    @Test
    void everyLayoutEqualsTheScalarFmaChainForEveryThreadCount() {
        for (int[] s : SHAPES) {
            int m = s[0], jn = s[1], k = s[2];
            SplittableRandom rng = new SplittableRandom(m * 1_000_003L + jn * 1009L + k);
            float[] a = gaussian(m * jn, rng), b = gaussian(jn * k, rng), c0 = gaussian(m * k, rng);
            for (int layout = 0; layout < 4; layout++) {
                boolean aT = (layout & 1) != 0, bT = (layout & 2) != 0;
                float[] want = c0.clone();
                for (int r = 0; r < m; r++)
                    for (int col = 0; col < k; col++) {
                        float acc = want[r * k + col];
                        for (int j = 0; j < jn; j++) {
                            float av = aT ? a[j * m + r] : a[r * jn + j], bv = bT ? b[col * jn + j] : b[j * k + col];
                            acc = Math.fma(av, bv, acc);
                        }
                        want[r * k + col] = acc;
                    }
                String what = "M=" + m + " J=" + jn + " K=" + k + " aT=" + aT + " bT=" + bT;
                for (int threads = 1; threads <= 3; threads++) {
                    float[] got = c0.clone();
                    try (Parallel par = new Parallel(threads)) { Matmul.gemm(got, a, aT, b, bT, m, jn, k, par); }
                    assertArrayEquals(want, got, what + ", " + threads + " threads");
                }
                float[] serial = c0.clone();
                Matmul.gemmSerial(serial, a, aT, b, bT, m, jn, k);
                assertArrayEquals(want, serial, what + ", serial");
            }
        }
    }

    private static float[] gaussian(int n, SplittableRandom rng) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian();
        return v;
    }
}
