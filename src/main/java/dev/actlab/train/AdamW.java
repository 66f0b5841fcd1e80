package dev.actlab.train;

import dev.actlab.tensor.AdamWKernel;
import java.util.List;

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

    /** One update of every parameter from its grad at learning rate lr. */
    public void update(List<Param> params, float lr) { update(params, lr, null); }

    /** One update, leaving the weights mask holds at zero untouched (no moments, no step, no decay); mask may be null. */
    public void update(List<Param> params, float lr, ZeroMask mask) {
        step++;
        float c1 = (float) (1 - Math.pow(beta1, step)), c2 = (float) (1 - Math.pow(beta2, step));
        for (int p = 0; p < params.size(); p++) {
            Param param = params.get(p);
            float[] w = param.value(), g = param.grad(), mp = m[p], vp = v[p];
            float wd = param.decay() ? weightDecay : 0f;
            boolean[] held = mask == null ? null : mask.of(p);
            if (held == null) { AdamWKernel.update(w, g, mp, vp, 0, w.length, beta1, beta2, c1, c2, eps, lr, wd); continue; }
            for (int i = 0; i < w.length; i++) {
                if (held != null && held[i]) continue;
                float gi = g[i];
                mp[i] = beta1 * mp[i] + (1 - beta1) * gi;
                vp[i] = beta2 * vp[i] + (1 - beta2) * gi * gi;
                float mHat = mp[i] / c1, vHat = vp[i] / c2;
                w[i] -= lr * (mHat / ((float) Math.sqrt(vHat) + eps) + wd * w[i]);
            }
        }
    }
}
