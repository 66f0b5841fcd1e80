package dev.actlab.sparsity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actlab.tensor.F32Matrix;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SparseInputMatrixTest {
    /** The kept-index list (eight inputs a step, and the branch-free scalar loop) equals the plain one: |x[i]| >= threshold kept (NaN kept), in order. */
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
        int[] got = new int[cols], plain = new int[cols], scalar = new int[cols];
        assertEquals(n, m.keptIndices(x, got));
        SparseInputMatrix.vectorLists = false;
        try { assertEquals(n, m.keptIndices(x, scalar)); } finally { SparseInputMatrix.vectorLists = true; }
        assertArrayEquals(Arrays.copyOf(want, n), Arrays.copyOf(scalar, n));
        SparseInputMatrix.branchFree = false;
        try { assertEquals(n, m.keptIndices(x, plain)); } finally { SparseInputMatrix.branchFree = true; }
        assertArrayEquals(Arrays.copyOf(want, n), Arrays.copyOf(plain, n));
        assertArrayEquals(Arrays.copyOf(want, n), Arrays.copyOf(got, n));
        // at the threshold, NaN and infinity kept; just below it and -0 skipped
        for (int i : new int[]{3, 4, 6, 8}) assertTrue(Arrays.binarySearch(got, 0, n, i) >= 0, "input " + i);
        for (int i : new int[]{5, 7}) assertTrue(Arrays.binarySearch(got, 0, n, i) < 0, "input " + i);
    }

    /** The zeroing hook (eight inputs a step, and the branch-free scalar loop) equals the plain rule bit for bit, with and without a per-input factor. */
    @Test
    void zeroSkippedEqualsThePlainRule() {
        SplittableRandom r = new SplittableRandom(10);
        int cols = 300, n = 3;
        float threshold = 0.5f;
        SparseInputMatrix m = new SparseInputMatrix(F32Matrix.of(new float[cols], 1, cols), null, threshold, null);
        float[] mul = new float[cols];
        for (int i = 0; i < cols; i++) mul[i] = (float) (0.5 + r.nextDouble());
        for (float[] factor : new float[][]{null, mul}) {
            float[] v = new float[2 + n * cols];
            for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
            v[2] = Float.NaN; v[3] = -0f; v[4] = -threshold;
            float[] want = v.clone();
            for (int t = 0; t < n; t++)
                for (int i = 0; i < cols; i++) {
                    int j = 2 + t * cols + i;
                    if (Math.abs(factor == null ? want[j] : want[j] * factor[i]) < threshold) want[j] = 0f;
                }
            float[] got = v.clone(), scalar = v.clone();
            m.zeroSkipped(got, 2, n, factor);
            SparseInputMatrix.vectorLists = false;
            try { m.zeroSkipped(scalar, 2, n, factor); } finally { SparseInputMatrix.vectorLists = true; }
            for (int j = 0; j < v.length; j++) {
                assertEquals(Float.floatToRawIntBits(want[j]), Float.floatToRawIntBits(got[j]), "entry " + j);
                assertEquals(Float.floatToRawIntBits(want[j]), Float.floatToRawIntBits(scalar[j]), "entry " + j);
            }
        }
    }
}
