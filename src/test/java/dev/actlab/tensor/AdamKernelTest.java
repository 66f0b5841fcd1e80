package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fused Adam update: the vector loop gives the scalar loop's bits on slices on and off the
 * vector grid (gradients spanning many magnitudes, zeros among them), leaves everything outside
 * the slice alone, zeroes the slice's gradients, and the scalar loop is Adam as written in doubles
 * (within float rounding; p from the updated moments).
 */
class AdamKernelTest {
    @Test
    void vectorGivesTheReferenceBitsAndBothAreAdam() {
        SplittableRandom rnd = new SplittableRandom(21);
        for (int t = 1; t <= 3; t++) {
            AdamKernel.Step s = new AdamKernel.Step(0.9f, 0.999f, (float) (1 - Math.pow(0.9, t)), (float) (1 - Math.pow(0.999, t)), 1e-3f, 1e-8f);
            for (int n = 0; n <= 75; n += 5) {
                int from = 3, to = 3 + n, size = n + 9;
                float[] p = random(rnd, size, 1), g = random(rnd, size, 0), m = random(rnd, size, 1e-2), v = random(rnd, size, 0);
                for (int i = 0; i < size; i++) v[i] = Math.abs(v[i]);
                float[] p1 = p.clone(), g1 = g.clone(), m1 = m.clone(), v1 = v.clone(), p2 = p.clone(), g2 = g.clone(), m2 = m.clone(), v2 = v.clone();
                AdamKernel.reference(p1, g1, m1, v1, from, to, s);
                AdamKernel.vector(p2, g2, m2, v2, from, to, s);
                String what = "step " + t + ", length " + n;
                assertArrayEquals(p1, p2, what); assertArrayEquals(m1, m2, what); assertArrayEquals(v1, v2, what); assertArrayEquals(g1, g2, what);
                for (int i = 0; i < size; i++) {
                    boolean in = i >= from && i < to;
                    assertEquals(in ? 0f : g[i], g2[i], 0f, "gradient at " + i + ", " + what);
                    if (!in) { assertEquals(p[i], p2[i], 0f); assertEquals(m[i], m2[i], 0f); assertEquals(v[i], v2[i], 0f); continue; }
                    // the hyperparameters as the floats the kernel is given (1 - 0.999f is not 0.001)
                    double b1 = s.b1(), a1 = 1 - s.b1(), b2 = s.b2(), a2 = 1 - s.b2();
                    double mm = b1 * m[i] + a1 * g[i], vv = b2 * v[i] + a2 * g[i] * (double) g[i];
                    assertEquals(mm, m2[i], 1e-6 * (b1 * Math.abs(m[i]) + a1 * Math.abs(g[i])) + 1e-30, "m at " + i);
                    assertEquals(vv, v2[i], 1e-5 * vv + 1e-30, "v at " + i);
                    double update = s.lr() * (m2[i] / (double) s.c1()) / (Math.sqrt(v2[i] / (double) s.c2()) + s.eps());
                    assertEquals(p[i] - update, p2[i], 1e-6 * (Math.abs(p[i]) + Math.abs(update)), "p at " + i + ", " + what);
                }
            }
        }
    }

    /** Values spread over magnitudes (scale times 10^[-6, 2], random sign; some exact zeros when scale is 0: then 10^[-6, 2] alone). */
    private static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            if (scale == 0 && rnd.nextInt(10) == 0) continue;
            double mag = Math.pow(10, rnd.nextDouble() * 8 - 6) * (scale == 0 ? 1 : scale);
            a[i] = (float) (rnd.nextBoolean() ? mag : -mag);
        }
        return a;
    }
}
