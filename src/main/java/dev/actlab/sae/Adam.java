package dev.actlab.sae;

import dev.actlab.tensor.Parallel;
import java.util.Arrays;

/** Adam (beta1 0.9, beta2 0.999, eps 1e-8, bias-corrected, no weight decay) over a few float arrays; elementwise, so thread count changes nothing. */
final class Adam {
    private static final float B1 = 0.9f, B2 = 0.999f, EPS = 1e-8f;
    private final float[][] params, grads, m, v;
    private final double lr;
    private final Parallel par;
    private int t;
    private double lrFactor = 1;

    Adam(float[][] params, double lr, Parallel par) {
        this.params = params; this.lr = lr; this.par = par;
        grads = new float[params.length][]; m = new float[params.length][]; v = new float[params.length][];
        for (int i = 0; i < params.length; i++) {
            grads[i] = new float[params[i].length]; m[i] = new float[params[i].length]; v[i] = new float[params[i].length];
        }
    }

    float[] grad(int i) { return grads[i]; }

    /** For checkpoints: the arrays, first and second moments, and steps taken. */
    int arrays() { return params.length; }
    float[] param(int i) { return params[i]; }
    float[] firstMoment(int i) { return m[i]; }
    float[] secondMoment(int i) { return v[i]; }
    int steps() { return t; }
    void restoreSteps(int steps) { t = steps; }

    /** Multiplies the learning rate of the next steps (a schedule); 1 leaves it as given. */
    void setLrFactor(double f) { lrFactor = f; }

    void zeroGrad() {
        for (float[] g : grads) par.forRange(g.length, 1 << 14, (from, to) -> Arrays.fill(g, from, to, 0f));
    }

    void step() {
        t++;
        float c1 = (float) (1 - Math.pow(B1, t)), c2 = (float) (1 - Math.pow(B2, t));
        float step = (float) (lr * lrFactor);
        for (int a = 0; a < params.length; a++) {
            float[] p = params[a], g = grads[a], mm = m[a], vv = v[a];
            par.forRange(p.length, 1 << 14, (from, to) -> {
                for (int i = from; i < to; i++) {
                    float gi = g[i];
                    mm[i] = B1 * mm[i] + (1 - B1) * gi;
                    vv[i] = B2 * vv[i] + (1 - B2) * gi * gi;
                    p[i] -= step * (mm[i] / c1) / ((float) Math.sqrt(vv[i] / c2) + EPS);
                }
            });
        }
    }
}
