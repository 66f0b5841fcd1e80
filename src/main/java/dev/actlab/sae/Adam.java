package dev.actlab.sae;

import dev.actlab.tensor.AdamKernel;
import dev.actlab.tensor.Parallel;

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

    /** One update of every array, fused ({@link AdamKernel}: each element read and written once); leaves the gradients zero for the next step. */
    void step() {
        t++;
        AdamKernel.Step s = new AdamKernel.Step(B1, B2, (float) (1 - Math.pow(B1, t)), (float) (1 - Math.pow(B2, t)), (float) (lr * lrFactor), EPS);
        for (int a = 0; a < params.length; a++) {
            float[] p = params[a], g = grads[a], mm = m[a], vv = v[a];
            par.forRange(p.length, 1 << 14, (from, to) -> AdamKernel.vector(p, g, mm, vv, from, to, s));
        }
    }
}
