package dev.actlab.train;

import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter): per element
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 *   w -= lr * (m / (1 - b1^t) / (sqrt(v / (1 - b2^t)) + eps) + wd * w)   (wd only where Param.decay).
 */
public final class AdamW {
    private final float beta1, beta2, eps, weightDecay;
    private final float[][] m, v;       // first and second moments, one array per parameter
    private long step;                  // updates done so far

    public AdamW(List<Param> params, float beta1, float beta2, float eps, float weightDecay) {
        this.beta1 = beta1; this.beta2 = beta2; this.eps = eps; this.weightDecay = weightDecay;
        m = new float[params.size()][];
        v = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) { m[i] = new float[params.get(i).size()]; v[i] = new float[params.get(i).size()]; }
    }

    /** The usual defaults: betas (0.9, 0.95), eps 1e-8. */
    public static AdamW standard(List<Param> params, float weightDecay) { return new AdamW(params, 0.9f, 0.95f, 1e-8f, weightDecay); }

    public long step() { return step; }
    public float[] firstMoment(int param) { return m[param]; }
    public float[] secondMoment(int param) { return v[param]; }

    /** Restores the state saved by a checkpoint (moments are written into firstMoment/secondMoment). */
    public void setStep(long step) { this.step = step; }

    /**
     * One update of every parameter from its grad at learning rate lr. Element-wise, vector
     * lanes and the scalar tail doing the same float operations (no fused multiply-adds,
     * correctly rounded square root), so the result does not depend on the vector length.
     */
    public void update(List<Param> params, float lr) {
        step++;
        float c1 = (float) (1 - Math.pow(beta1, step)), c2 = (float) (1 - Math.pow(beta2, step));
        float a1 = 1 - beta1, a2 = 1 - beta2;
        int L = S.length();
        for (int p = 0; p < params.size(); p++) {
            Param param = params.get(p);
            float[] w = param.value(), g = param.grad(), mp = m[p], vp = v[p];
            float wd = param.decay() ? weightDecay : 0f;
            int i = 0, upper = S.loopBound(w.length);
            for (; i < upper; i += L) {
                FloatVector gi = FloatVector.fromArray(S, g, i), wi = FloatVector.fromArray(S, w, i);
                FloatVector mi = FloatVector.fromArray(S, mp, i).mul(beta1).add(gi.mul(a1));
                FloatVector vi = FloatVector.fromArray(S, vp, i).mul(beta2).add(gi.mul(a2).mul(gi));
                mi.intoArray(mp, i);
                vi.intoArray(vp, i);
                FloatVector step = mi.div(c1).div(vi.div(c2).sqrt().add(eps)).add(wi.mul(wd));
                wi.sub(step.mul(lr)).intoArray(w, i);
            }
            for (; i < w.length; i++) {
                float gi = g[i];
                mp[i] = beta1 * mp[i] + a1 * gi;
                vp[i] = beta2 * vp[i] + a2 * gi * gi;
                float mHat = mp[i] / c1, vHat = vp[i] / c2;
                w[i] -= (mHat / ((float) Math.sqrt(vHat) + eps) + wd * w[i]) * lr;
            }
        }
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
}
