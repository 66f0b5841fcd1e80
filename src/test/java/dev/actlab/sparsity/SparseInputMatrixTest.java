package dev.actlab.sparsity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actlab.tensor.F32Matrix;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SparseInputMatrixTest {
    /** The branch-free kept-index list equals the plain one: |x[i]| >= threshold kept (NaN kept), in order. */
    @Test
    void keptIndicesAreTheInputsAtOrAboveTheThreshold() {
        SplittableRandom r = new SplittableRandom(9);
        int cols = 777;
        float threshold = 0.6f;
        SparseInputMatrix m = new SparseInputMatrix(F32Matrix.of(new float[2 * cols], 2, cols), null, threshold, null);
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
        x[3] = threshold; x[4] = -threshold; x[5] = Math.nextDown(threshold); x[6] = Float.NaN; x[7] = -0f; x[8] = Float.NEGATIVE_INFINITY;
        int[] want = new int[cols];
        int n = 0;
        for (int i = 0; i < cols; i++) if (!(Math.abs(x[i]) < threshold)) want[n++] = i;
        int[] got = new int[cols];
        assertEquals(n, m.keptIndices(x, got));
        assertArrayEquals(Arrays.copyOf(want, n), Arrays.copyOf(got, n));
        // at the threshold, NaN and infinity kept; just below it and -0 skipped
        for (int i : new int[]{3, 4, 6, 8}) assertTrue(Arrays.binarySearch(got, 0, n, i) >= 0, "input " + i);
        for (int i : new int[]{5, 7}) assertTrue(Arrays.binarySearch(got, 0, n, i) < 0, "input " + i);
    }
}
