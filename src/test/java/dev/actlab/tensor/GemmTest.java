package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The blocked GEMM (C += op(A) op(B), either operand stored transposed) against a plain scalar
 * loop ({@link Gemm#reference}): each element must be C + the fused multiply-add chain over j in
 * index order, bit for bit, for every thread count. The shapes straddle the register block (12
 * rows x 32 columns at 16 lanes, 12 x 16 at 8), the row block, the j tile (256) and the vector length.
 */
class GemmTest {
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
                Gemm.reference(want, 0, k, a, 0, aT ? m : jn, aT, b, 0, bT ? jn : k, bT, m, jn, k, Gemm.Zeros.NONE);
                String what = "M=" + m + " J=" + jn + " K=" + k + " aT=" + aT + " bT=" + bT;
                for (int threads = 1; threads <= 3; threads++) {
                    float[] got = c0.clone();
                    try (Parallel par = new Parallel(threads)) { Gemm.multiply(got, a, aT, b, bT, m, jn, k, par); }
                    assertArrayEquals(want, got, what + ", " + threads + " threads");
                }
                float[] serial = c0.clone();
                Gemm.multiply(serial, a, aT, b, bT, m, jn, k, Gemm.SERIAL);
                assertArrayEquals(want, serial, what + ", serial");
            }
        }
    }

    /** C_BEFORE (training's forward, the encoder's attention) writes C = A B without reading C: stale contents (NaN here) must not leak in. */
    @Test
    void cBeforeOverwritesWhateverTheOutputHeld() {
        for (int[] s : new int[][]{{29, 300, 45}, {24, 64, 32}, {5, 3, 7}, {128, 32, 128}}) {   // {M, J, K}: two j tiles, whole blocks, ragged, a head
            int m = s[0], jn = s[1], k = s[2];
            SplittableRandom rng = new SplittableRandom(m + jn + k);
            float[] a = gaussian(m * jn, rng), b = gaussian(k * jn, rng), want = new float[m * k], got = new float[m * k];
            Gemm.reference(want, 0, k, a, 0, jn, false, b, 0, jn, true, m, jn, k, Gemm.Zeros.C_BEFORE);
            for (int threads = 1; threads <= 2; threads++) {
                java.util.Arrays.fill(got, Float.NaN);
                try (Parallel par = new Parallel(threads)) { Gemm.multiply(got, 0, k, a, 0, jn, false, b, 0, jn, true, m, jn, k, Gemm.Zeros.C_BEFORE, par); }
                assertArrayEquals(want, got, "M=" + m + " J=" + jn + " K=" + k + ", " + threads + " threads");
            }
        }
    }

    /**
     * Strided views (offsets and leading dimensions wider than the rows, as attention's heads are
     * laid out) and the causal skips: the result must equal the scalar chain over the full
     * product in which the skipped terms are exact zeros.
     */
    @Test
    void stridedViewsAndCausalSkipsEqualTheScalarChain() {
        for (int[] s : new int[][]{{37, 20}, {64, 32}, {300, 17}, {13, 33}, {50, 100}}) {   // {T, hs}; hs 100: packed A (4 panels)
            int T = s[0], hs = s[1], pad = 3, ld = hs + 5;                          // rows of a view ld apart, from offset pad
            SplittableRandom rng = new SplittableRandom(T * 31L + hs);
            float[] x = gaussian(pad + T * ld, rng), y = gaussian(pad + T * ld, rng);   // [T, hs] views
            float[] lower = gaussian(T * T, rng);                                        // [T, T], zero above the diagonal
            for (int t = 0; t < T; t++) for (int j = t + 1; j < T; j++) lower[t * T + j] = 0;
            // scores: C [T, T] += X Y^T, only k <= m wanted
            float[] c = gaussian(T * T, rng), want = c.clone();
            Gemm.multiply(c, 0, T, x, pad, ld, false, y, pad, ld, true, T, hs, T, Gemm.Zeros.C_ABOVE_DIAGONAL, Gemm.SERIAL);
            for (int m = 0; m < T; m++)
                for (int k = 0; k <= m; k++) {
                    float acc = want[m * T + k];
                    for (int j = 0; j < hs; j++) acc = Math.fma(x[pad + m * ld + j], y[pad + k * ld + j], acc);
                    assertEquals(acc, c[m * T + k], 0f, "scores T=" + T + " hs=" + hs + " at " + m + "," + k);
                }
            // the same scores overwriting C (NaN before: never read) where k <= m
            float[] fresh = new float[T * T];
            java.util.Arrays.fill(fresh, Float.NaN);
            Gemm.multiply(fresh, 0, T, x, pad, ld, false, y, pad, ld, true, T, hs, T, Gemm.Zeros.C_BEFORE_ABOVE_DIAGONAL, Gemm.SERIAL);
            for (int m = 0; m < T; m++)
                for (int k = 0; k <= m; k++) {
                    float acc = 0;
                    for (int j = 0; j < hs; j++) acc = Math.fma(x[pad + m * ld + j], y[pad + k * ld + j], acc);
                    assertEquals(acc, fresh[m * T + k], 0f, "scores from zero T=" + T + " hs=" + hs + " at " + m + "," + k);
                }
            // mixing: out [T, hs] view += L Y (A = L, zero above its diagonal) and += L^T Y (A stored
            // transposed: A[m, j] = L[j, m], zero below the diagonal)
            for (int mode = 0; mode < 2; mode++) {
                float[] out = gaussian(pad + T * ld, rng), ref = out.clone(), a = lower;
                Gemm.Zeros z = mode == 0 ? Gemm.Zeros.A_ABOVE_DIAGONAL : Gemm.Zeros.A_BELOW_DIAGONAL;
                Gemm.multiply(out, pad, ld, a, 0, T, mode == 1, y, pad, ld, false, T, T, hs, z, Gemm.SERIAL);
                for (int m = 0; m < T; m++)
                    for (int k = 0; k < hs; k++) {
                        float acc = ref[pad + m * ld + k];
                        for (int j = 0; j < T; j++) acc = Math.fma(mode == 0 ? a[m * T + j] : a[j * T + m], y[pad + j * ld + k], acc);
                        assertEquals(acc, out[pad + m * ld + k], 0f, z + " T=" + T + " hs=" + hs + " at " + m + "," + k);
                    }
                for (int m = 0; m < T; m++)   // the padding between the view's rows is untouched
                    for (int k = hs; k < ld && pad + m * ld + k < out.length; k++) assertEquals(ref[pad + m * ld + k], out[pad + m * ld + k], 0f);
            }
        }
    }

    /** Both ways of packing a transposed A on AVX2 (KernelChoice.transposedAAsRows: rows for the 6 x 2 tiles, or columns for the 12 x 2 tile) give the same bits. */
    @Test
    void theOldTransposedAPackingStillEqualsTheScalarChain() {
        boolean was = KernelChoice.transposedAAsRows;
        try {
            KernelChoice.transposedAAsRows = !was;
            everyLayoutEqualsTheScalarFmaChainForEveryThreadCount();
            stridedViewsAndCausalSkipsEqualTheScalarChain();
        } finally {
            KernelChoice.transposedAAsRows = was;
        }
    }

    /**
     * The paths the AVX2 switches replaced (KernelChoice.zeroStartTiles: C = A B by clearing C and
     * reading it back; transposedANarrowInPlace: attention's narrow dK, dV with A transposed while
     * packing) give the same bits as the scalar chain too.
     */
    @Test
    void theReplacedClearAndNarrowTransposePathsStillEqualTheScalarChain() {
        boolean zero = KernelChoice.zeroStartTiles, narrow = KernelChoice.transposedANarrowInPlace;
        try {
            KernelChoice.zeroStartTiles = !zero;
            KernelChoice.transposedANarrowInPlace = !narrow;
            everyLayoutEqualsTheScalarFmaChainForEveryThreadCount();
            cBeforeOverwritesWhateverTheOutputHeld();
            stridedViewsAndCausalSkipsEqualTheScalarChain();
        } finally {
            KernelChoice.zeroStartTiles = zero;
            KernelChoice.transposedANarrowInPlace = narrow;
        }
    }

    private static float[] gaussian(int n, SplittableRandom rng) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian();
        return v;
    }
}
