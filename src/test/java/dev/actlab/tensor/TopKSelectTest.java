package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The vector top-k against the reference insertion, and both against the definition (all positive
 * entries sorted by value descending, then index ascending, the first k), on rows that exercise the
 * threshold pass: Gaussian, heavy ties, few or no positives, ascending and descending, NaN, and
 * lengths on and off the vector grid, at an offset into a larger array.
 */
class TopKSelectTest {
    private static final int L = VectorExp.S.length();

    @Test
    void vectorAndReferenceGiveTheDefinitionsChoice() {
        SplittableRandom rnd = new SplittableRandom(11);
        int[] lengths = {1, 7, L * 8 - 1, L * 8, L * 33 + 3, 1000, 6144};
        int[] ks = {1, 3, L, 32, 33, 100};
        int cases = 0;
        for (int n : lengths)
            for (int k : ks)
                for (int kind = 0; kind < 7; kind++) {
                    float[] a = row(rnd, kind, n, 5);
                    check(a, 5, n, k, "n " + n + " k " + k + " kind " + kind);
                    cases++;
                }
        assertEquals(7 * 6 * 7, cases);
    }

    /** The threshold pass is taken (rows long enough) and keeps few candidates, yet the answer is the same: Gaussian rows as an SAE's pre-activations. */
    @Test
    void longGaussianRowsAtTheSaeShape() {
        SplittableRandom rnd = new SplittableRandom(12);
        for (int r = 0; r < 50; r++) check(row(rnd, 0, 6144, 0), 0, 6144, 32, "row " + r);
    }

    private static void check(float[] a, int off, int n, int k, String what) {
        int kk = Math.min(k, n);
        int[] want = definition(a, off, n, k);
        int[] ri = new int[kk], vi = new int[kk];
        float[] rv = new float[kk], vv = new float[kk];
        int rm = TopKSelect.reference(a, off, n, k, ri, rv), vm = TopKSelect.vector(a, off, n, k, vi, vv);
        assertArrayEquals(want, Arrays.copyOf(ri, rm), "reference, " + what);
        assertArrayEquals(want, Arrays.copyOf(vi, vm), "vector, " + what);
        for (int i = 0; i < vm; i++) assertEquals(Float.floatToRawIntBits(a[off + vi[i]]), Float.floatToRawIntBits(vv[i]), what);
        for (int i = 0; i < rm; i++) assertEquals(Float.floatToRawIntBits(a[off + ri[i]]), Float.floatToRawIntBits(rv[i]), what);
    }

    /** Positions of the k largest positive entries: sort by value descending, then position ascending. */
    private static int[] definition(float[] a, int off, int n, int k) {
        return IntStream.range(0, n).filter(i -> a[off + i] > 0).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -a[off + i]).thenComparingInt(i -> i))
                .limit(k).mapToInt(Integer::intValue).toArray();
    }

    private static float[] row(SplittableRandom rnd, int kind, int n, int off) {
        float[] a = new float[off + n + 3];
        Arrays.fill(a, 1e9f);   // outside the row: must never be chosen
        for (int i = 0; i < n; i++) {
            float v = switch (kind) {
                case 0 -> (float) rnd.nextGaussian();
                case 1 -> rnd.nextInt(5) - 2;                                  // heavy ties, zeros and negatives
                case 2 -> rnd.nextInt(200) == 0 ? (float) rnd.nextDouble() : -(float) rnd.nextDouble();   // few positives
                case 3 -> -1 - (float) rnd.nextDouble();                          // none positive
                case 4 -> i;                                                       // ascending: the best at the end
                case 5 -> n - i;                                                   // descending
                default -> rnd.nextInt(50) == 0 ? Float.NaN : (float) rnd.nextGaussian();   // NaN here and there
            };
            a[off + i] = v;
        }
        if (kind == 1 && n > 2) a[off + n - 1] = -0f;
        return a;
    }
}
