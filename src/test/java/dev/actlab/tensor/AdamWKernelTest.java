package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The vector AdamW step against its scalar twin, bit for bit, over ranges that start and end off the vector grid. */
class AdamWKernelTest {
    @Test
    void vectorUpdateEqualsTheScalarFormula() {
        SplittableRandom rng = new SplittableRandom(5);
        int n = 203;
        float[] w = new float[n], g = new float[n], m = new float[n], v = new float[n];
        for (int i = 0; i < n; i++) { w[i] = (float) rng.nextGaussian(); m[i] = (float) rng.nextGaussian() * 0.1f; v[i] = (float) rng.nextDouble() * 0.01f; }
        float[] w2 = w.clone(), m2 = m.clone(), v2 = v.clone();
        for (int step = 1; step <= 4; step++) {
            for (int i = 0; i < n; i++) g[i] = (float) (rng.nextGaussian() * Math.pow(10, -rng.nextInt(8)));   // gradients over 8 decades
            float c1 = (float) (1 - Math.pow(0.9, step)), c2 = (float) (1 - Math.pow(0.95, step));
            for (int[] r : new int[][]{{0, 3}, {3, 100}, {100, n}}) {
                AdamWKernel.update(w, g, m, v, r[0], r[1], 0.9f, 0.95f, c1, c2, 1e-8f, 3e-3f, step % 2 == 0 ? 0.1f : 0f);
                AdamWKernel.updateScalar(w2, g, m2, v2, r[0], r[1], 0.9f, 0.95f, c1, c2, 1e-8f, 3e-3f, step % 2 == 0 ? 0.1f : 0f);
            }
            assertArrayEquals(m2, m, "m after step " + step);
            assertArrayEquals(v2, v, "v after step " + step);
            assertArrayEquals(w2, w, "w after step " + step);
        }
    }
}
