package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** LayerNorm's vector normalize + affine against the double-precision reference. */
class LayerNormKernelTest {
    static float[] random(int n, long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return x;
    }

    @Test void layerNormMatchesReference() {
        int d = 384 + 5, n = 7;
        float[] x = random(n * d, 3, 4), w = random(d, 4, 1), b = random(d, 5, 1);
        for (int i = 0; i < d; i++) x[d + i] += 100;   // a row with a large mean
        float[] ref = x.clone();
        LayerNormKernel.reference(ref, w, b, d, 1e-12f, n);
        float[] scale = new float[n];
        LayerNormKernel.normalize(x, scale, d, 1e-12f, 0, n);
        LayerNormKernel.affine(x, w, b, d, 0, n);
        for (int i = 0; i < x.length; i++) assertEquals(ref[i], x[i], 2e-5, "element " + i);
    }

    /** Row ranges: rows outside [from, to) are untouched, and a row's result does not depend on the range it came in. */
    @Test void rowRangesAreIndependent() {
        int d = 37, n = 9;
        float[] x = random(n * d, 6, 3);
        float[] whole = x.clone(), parts = x.clone(), scaleWhole = new float[n], scaleParts = new float[n];
        LayerNormKernel.normalize(whole, scaleWhole, d, 1e-5f, 0, n);
        LayerNormKernel.normalize(parts, scaleParts, d, 1e-5f, 0, 4);
        for (int i = 4 * d; i < n * d; i++) assertEquals(x[i], parts[i], "row outside the range untouched at " + i);
        LayerNormKernel.normalize(parts, scaleParts, d, 1e-5f, 4, n);
        assertArrayEquals(whole, parts);
        assertArrayEquals(scaleWhole, scaleParts);
    }

    /** The fused residual add + LayerNorm gives the bits of the add, normalize and affine passes, for any row range. */
    @Test void fusedResidualLayerNormGivesTheThreePassesBits() {
        int d = 384 + 3, n = 11;
        float[] x = random(n * d, 7, 5), delta = random(n * d, 8, 3), w = random(d, 9, 1), b = random(d, 10, 1);
        float[] passes = x.clone(), fused = x.clone(), scalePasses = new float[n], scaleFused = new float[n];
        for (int i = 0; i < passes.length; i++) passes[i] = delta[i] + passes[i];
        LayerNormKernel.normalize(passes, scalePasses, d, 1e-12f, 0, n);
        LayerNormKernel.affine(passes, w, b, d, 0, n);
        LayerNormKernel.addNormalizeAffine(fused, delta, scaleFused, w, b, d, 1e-12f, 0, 5);
        LayerNormKernel.addNormalizeAffine(fused, delta, scaleFused, w, b, d, 1e-12f, 5, n);
        assertArrayEquals(passes, fused);
        assertArrayEquals(scalePasses, scaleFused);
        float[] ref = x.clone();   // and against the definition in double
        for (int i = 0; i < ref.length; i++) ref[i] = delta[i] + ref[i];
        LayerNormKernel.reference(ref, w, b, d, 1e-12f, n);
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], fused[i], 2e-5, "element " + i);
    }
}
