package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * One active entry of the SAE backward pass: the vector kernel gives the reference's bits (dp and
 * both gradient rows) for lengths on and off the vector grid, touches nothing outside the slices,
 * and the reference is the definition computed in doubles (within float rounding).
 */
class SparseGradKernelTest {
    @Test
    void vectorGivesTheReferenceBitsAndBothAreTheDefinition() {
        SplittableRandom rnd = new SplittableRandom(31);
        int[] lengths = new int[80];
        for (int i = 0; i < 79; i++) lengths[i] = i;
        lengths[79] = 384;
        for (int n : lengths) {
            float[] g = DotTest.random(rnd, n + 3), w = DotTest.random(rnd, n + 5), x = DotTest.random(rnd, n + 2);
            float[] gW = DotTest.random(rnd, n + 4), gE = DotTest.random(rnd, n + 6);
            float f = (float) rnd.nextGaussian(), extra = (float) rnd.nextGaussian() * 0.1f;
            float[] gW1 = gW.clone(), gE1 = gE.clone(), gW2 = gW.clone(), gE2 = gE.clone();
            float r = SparseGradKernel.reference(g, 3, w, 5, f, gW1, 4, extra, x, 2, gE1, 6, n);
            float v = SparseGradKernel.vector(g, 3, w, 5, f, gW2, 4, extra, x, 2, gE2, 6, n);
            assertEquals(Float.floatToRawIntBits(r), Float.floatToRawIntBits(v), "dp, length " + n);
            assertArrayEquals(gW1, gW2, "decoder row gradient, length " + n);
            assertArrayEquals(gE1, gE2, "encoder row gradient, length " + n);
            double dot = extra, mag = Math.abs(extra);
            for (int j = 0; j < n; j++) { dot += (double) g[3 + j] * w[5 + j]; mag += Math.abs((double) g[3 + j] * w[5 + j]); }
            assertEquals(dot, r, 1e-6 * mag + 1e-7, "dp against doubles, length " + n);
            for (int i = 0; i < gW.length; i++)
                if (i < 4 || i >= 4 + n) assertEquals(gW[i], gW2[i], 0f, "outside the slice");
                else assertEquals(gW[i] + (double) f * g[3 + i - 4], gW2[i], 1e-6 * (Math.abs(gW[i]) + Math.abs(f * g[3 + i - 4])) + 1e-9);
            for (int i = 0; i < gE.length; i++)
                if (i < 6 || i >= 6 + n) assertEquals(gE[i], gE2[i], 0f, "outside the slice");
                else assertEquals(gE[i] + (double) r * x[2 + i - 6], gE2[i], 1e-6 * (Math.abs(gE[i]) + Math.abs(r * x[2 + i - 6])) + 1e-9);
        }
    }
}
