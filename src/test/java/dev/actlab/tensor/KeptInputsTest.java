package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KeptInputsTest {
    private static final float[] SPECIAL = {Float.NaN, -0f, 0f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE};

    /** Random inputs with special values and inputs exactly at the threshold, at lengths with and without a tail. */
    private static float[] input(SplittableRandom r, int n, float threshold) {
        float[] x = new float[n + 3];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < x.length; i += 5) x[i] = SPECIAL[r.nextInt(SPECIAL.length)];
        for (int i = 2; i < x.length; i += 7) x[i] = r.nextBoolean() ? threshold : -Math.nextDown(threshold);
        return x;
    }

    @Test
    void indicesEqualTheScalarReference() {
        SplittableRandom r = new SplittableRandom(21);
        for (int n : new int[]{0, 1, 7, 8, 9, 64, 768, 2051})
            for (float threshold : new float[]{0f, 0.3f, 0.7f, 1.5f, Float.POSITIVE_INFINITY}) {
                float[] x = input(r, n, threshold);
                int[] got = new int[n], want = new int[n];
                int kept = KeptInputs.indicesScalar(x, 3, n, threshold, want);
                assertEquals(kept, KeptInputs.indices(x, 3, n, threshold, got), n + " inputs, threshold " + threshold);
                assertArrayEquals(Arrays.copyOf(want, kept), Arrays.copyOf(got, kept), n + " inputs, threshold " + threshold);
                // the rule itself, written out: |x| >= threshold or NaN
                int count = 0;
                for (int i = 0; i < n; i++) if (Float.isNaN(x[3 + i]) || Math.abs(x[3 + i]) >= threshold) count++;
                assertEquals(count, kept);
            }
    }

    @Test
    void zeroSkippedEqualsTheScalarReferenceBitForBit() {
        SplittableRandom r = new SplittableRandom(22);
        for (int cols : new int[]{1, 8, 13, 768, 777})
            for (boolean withMul : new boolean[]{false, true}) {
                float threshold = 0.6f;
                float[] mul = null;
                if (withMul) { mul = new float[cols]; for (int i = 0; i < cols; i++) mul[i] = (float) (0.25 + 1.5 * r.nextDouble()); }
                int rows = 3;
                float[] v = input(r, rows * cols + 2, threshold);
                float[] want = v.clone(), got = v.clone();
                KeptInputs.zeroSkippedScalar(want, 2, rows, cols, mul, threshold);
                KeptInputs.zeroSkipped(got, 2, rows, cols, mul, threshold);
                for (int j = 0; j < v.length; j++)
                    assertEquals(Float.floatToRawIntBits(want[j]), Float.floatToRawIntBits(got[j]), cols + " columns, entry " + j);
            }
    }
}
