package dev.actlab.sparsity;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * TEAL calibration: the magnitude threshold of every site for one target sparsity, uniform over the
 * sites. The dense model runs the calibration tokens (in windows of the model's context) with read
 * hooks that rebuild each matmul input: ln1.hook_normalized x attn_norm (q/k/v), attn.hook_z (o),
 * ln2.hook_normalized x ffn_norm (gate/up), mlp.hook_post (down). A site's threshold is the
 * target-quantile of |x| over all its calibration values, so that fraction of them falls below it.
 */
public final class TealCalibration {
    private TealCalibration() {}

    public static Thresholds calibrate(LlamaModel model, int[] tokens, double sparsity, String source, Progress progress) {
        if (!(sparsity >= 0 && sparsity < 1)) throw new IllegalArgumentException("target sparsity " + sparsity + " must be in [0, 1)");
        if (tokens.length < 2) throw new IllegalArgumentException("calibration needs at least 2 tokens, got " + tokens.length);
        int layers = model.config().layers();
        Magnitudes[][] mags = collect(model, tokens, progress);
        List<Thresholds.Site> sites = new ArrayList<>();
        for (int l = 0; l < layers; l++)
            for (SiteKind k : SiteKind.values()) {
                float[] v = mags[l][k.ordinal()].sorted();
                float t = threshold(v, sparsity);
                sites.add(new Thresholds.Site(l, k, t, below(v, t)));
            }
        return new Thresholds("teal", sparsity, layers, tokens.length, source, sites);
    }

    /** The value with a fraction `sparsity` of sorted below it; 0 (nothing skipped) at sparsity 0. */
    static float threshold(float[] sorted, double sparsity) {
        if (sparsity <= 0 || sorted.length == 0) return 0f;
        int k = (int) Math.min(sorted.length - 1, Math.round(sparsity * sorted.length));
        return sorted[k];
    }

    /** Fraction of sorted strictly below t. */
    static double below(float[] sorted, float t) {
        int lo = 0, hi = sorted.length;
        while (lo < hi) { int mid = (lo + hi) >>> 1; if (sorted[mid] < t) lo = mid + 1; else hi = mid; }
        return sorted.length == 0 ? 0 : (double) lo / sorted.length;
    }

    /** |x| of every site's matmul input over the tokens: [layer][SiteKind.ordinal()]. */
    static Magnitudes[][] collect(LlamaModel model, int[] tokens, Progress progress) {
        int layers = model.config().layers(), dim = model.config().dim();
        Magnitudes[][] mags = new Magnitudes[layers][SiteKind.values().length];
        Hooks hooks = new Hooks();
        for (int l = 0; l < layers; l++) {
            for (int k = 0; k < mags[l].length; k++) mags[l][k] = new Magnitudes();
            Magnitudes qkv = mags[l][SiteKind.ATTN_QKV.ordinal()], o = mags[l][SiteKind.ATTN_OUTPUT.ordinal()];
            Magnitudes gu = mags[l][SiteKind.FFN_GATE_UP.ordinal()], down = mags[l][SiteKind.FFN_DOWN.ordinal()];
            float[] attnNorm = model.weights().attnNorm()[l], ffnNorm = model.weights().ffnNorm()[l];
            hooks.add(HookSite.LN1_NORMALIZED.nameAt(l), a -> qkv.addScaled(a.data, a.offset, a.size(), attnNorm, dim));
            hooks.add(HookSite.ATTN_Z.nameAt(l), a -> o.addScaled(a.data, a.offset, a.size(), null, 0));
            hooks.add(HookSite.LN2_NORMALIZED.nameAt(l), a -> gu.addScaled(a.data, a.offset, a.size(), ffnNorm, dim));
            hooks.add(HookSite.MLP_POST.nameAt(l), a -> down.addScaled(a.data, a.offset, a.size(), null, 0));
        }
        int ctx = model.config().contextLength();
        for (int start = 0; start < tokens.length; start += ctx) {
            int[] window = Arrays.copyOfRange(tokens, start, Math.min(tokens.length, start + ctx));
            model.run(window, hooks);
            progress.update(Math.min(tokens.length, start + ctx), tokens.length);
        }
        return mags;
    }

    /** A growing list of magnitudes. */
    static final class Magnitudes {
        private float[] v = new float[1 << 12];
        private int n;

        void addScaled(float[] data, int off, int count, float[] scale, int period) {
            if (n + count > v.length) v = Arrays.copyOf(v, Math.max(n + count, 2 * v.length));
            for (int i = 0; i < count; i++) {
                float x = data[off + i];
                if (scale != null) x *= scale[i % period];
                v[n++] = Math.abs(x);
            }
        }

        float[] sorted() { float[] s = Arrays.copyOf(v, n); Arrays.sort(s); return s; }
    }
}
