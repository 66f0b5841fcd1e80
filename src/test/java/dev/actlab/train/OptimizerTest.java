package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** AdamW, the learning-rate schedule and gradient clipping against their defining properties. */
class OptimizerTest {

    @Test
    void adamWFirstStepMovesEachWeightByLrTimesSignPlusDecoupledDecay() {
        Param w = Param.of("w", true, 4), gain = Param.of("gain", false, 4);
        float[] init = {0.5f, -1f, 2f, 0f};
        float[] g = {0.3f, -2e-3f, 7f, -1f};
        System.arraycopy(init, 0, w.value(), 0, 4); System.arraycopy(init, 0, gain.value(), 0, 4);
        System.arraycopy(g, 0, w.grad(), 0, 4); System.arraycopy(g, 0, gain.grad(), 0, 4);
        float lr = 0.01f, wd = 0.1f;
        AdamW opt = new AdamW(List.of(w, gain), 0.9f, 0.95f, 1e-8f, wd);
        opt.update(List.of(w, gain), lr);
        // bias correction makes m/sqrt(v) = g/|g| on the first step, whatever the gradient's scale
        for (int i = 0; i < 4; i++) {
            assertEquals(init[i] - lr * Math.signum(g[i]) - lr * wd * init[i], w.value()[i], 1e-6, "decayed " + i);
            assertEquals(init[i] - lr * Math.signum(g[i]), gain.value()[i], 1e-6, "not decayed " + i);
        }
    }

    /** The vectorized update against the textbook scalar formula, bit for bit, over sizes around the vector length. */
    @Test
    void adamWEqualsTheScalarFormulaBitForBit() {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(9);
        List<Param> ps = List.of(Param.of("a", true, 37), Param.of("b", false, 5), Param.of("c", true, 64));
        float b1 = 0.9f, b2 = 0.95f, eps = 1e-8f, wd = 0.1f, lr = 3e-3f;
        float[][] w = new float[3][], m = new float[3][], v = new float[3][];
        for (int p = 0; p < 3; p++) {
            float[] x = ps.get(p).value();
            for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
            w[p] = x.clone(); m[p] = new float[x.length]; v[p] = new float[x.length];
        }
        AdamW opt = new AdamW(ps, b1, b2, eps, wd);
        for (int step = 1; step <= 3; step++) {
            for (Param p : ps) for (int i = 0; i < p.size(); i++) p.grad()[i] = (float) rng.nextGaussian();
            opt.update(ps, lr);
            float c1 = (float) (1 - Math.pow(b1, step)), c2 = (float) (1 - Math.pow(b2, step));
            for (int p = 0; p < 3; p++) {
                float d = ps.get(p).decay() ? wd : 0f;
                for (int i = 0; i < w[p].length; i++) {
                    float g = ps.get(p).grad()[i];
                    m[p][i] = b1 * m[p][i] + (1 - b1) * g;
                    v[p][i] = b2 * v[p][i] + (1 - b2) * g * g;
                    w[p][i] -= lr * (m[p][i] / c1 / ((float) Math.sqrt(v[p][i] / c2) + eps) + d * w[p][i]);
                }
                assertArrayEquals(w[p], ps.get(p).value(), "weights of " + ps.get(p).name() + " after step " + step);
                assertArrayEquals(m[p], opt.firstMoment(p));
                assertArrayEquals(v[p], opt.secondMoment(p));
            }
        }
    }

    @Test
    void adamWMinimizesAQuadratic() {
        Param w = Param.of("w", true, 3);
        float[] target = {1f, -2f, 0.5f};
        AdamW opt = AdamW.standard(List.of(w), 0f);
        for (int s = 0; s < 2000; s++) {
            for (int i = 0; i < 3; i++) w.grad()[i] = 2 * (w.value()[i] - target[i]);
            opt.update(List.of(w), 0.01f);
        }
        for (int i = 0; i < 3; i++) assertEquals(target[i], w.value()[i], 1e-2);
    }

    @Test
    void scheduleWarmsUpLinearlyThenDecaysByCosineToTheMinimum() {
        LrSchedule s = new LrSchedule(1e-3f, 1e-4f, 10, 110);
        assertEquals(1e-4f, s.lr(0), 1e-9);
        assertEquals(1e-3f, s.lr(9), 1e-9);
        assertEquals(1e-3f, s.lr(10), 1e-9);
        assertEquals(0.55e-3f, s.lr(60), 1e-9);   // half-way through the decay: the mean of max and min
        assertEquals(1e-4f, s.lr(110), 1e-9);
        for (int i = 11; i < 110; i++) assertTrue(s.lr(i) < s.lr(i - 1));
    }

    @Test
    void clippingScalesTheGlobalNormDownButNeverUp() {
        Param a = Param.of("a", true, 2), b = Param.of("b", true, 1);
        a.grad()[0] = 3; a.grad()[1] = 0; b.grad()[0] = 4;   // norm 5
        assertEquals(5.0, GradientClipping.clipGlobalNorm(List.of(a, b), 10), 1e-9);
        assertEquals(4f, b.grad()[0]);
        assertEquals(5.0, GradientClipping.clipGlobalNorm(List.of(a, b), 1), 1e-9);
        assertEquals(1.0, GradientClipping.clipGlobalNorm(List.of(a, b), 0), 1e-5);
        assertEquals(0.6f, a.grad()[0], 1e-5f);
    }
}
