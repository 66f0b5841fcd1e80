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
        return calibrate(model, tokens, sparsity, "teal", null, source, progress);
    }

    /**
     * The thresholds of a magnitude criterion |x[i]| * scale[i] < t (scales [layer][site kind][input], or
     * null for TEAL's plain |x[i]|): at each site, the target-quantile of the criterion over the tokens.
     */
    static Thresholds calibrate(LlamaModel model, int[] tokens, double sparsity, String method, float[][][] scales, String source, Progress progress) {
        if (!(sparsity >= 0 && sparsity < 1)) throw new IllegalArgumentException("target sparsity " + sparsity + " must be in [0, 1)");
        if (tokens.length < 2) throw new IllegalArgumentException("calibration needs at least 2 tokens, got " + tokens.length);
        int layers = model.config().layers();
        Magnitudes[][] mags = collect(model, tokens, scales, progress);
        List<Thresholds.Site> sites = new ArrayList<>();
        for (int l = 0; l < layers; l++)
            for (SiteKind k : SiteKind.values()) {
                float[] v = mags[l][k.ordinal()].sorted();
                float t = threshold(v, sparsity);
                sites.add(new Thresholds.Site(l, k, t, below(v, t)));
            }
        return new Thresholds(method, sparsity, layers, tokens.length, source, sites);
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
    static Magnitudes[][] collect(LlamaModel model, int[] tokens, float[][][] scales, Progress progress) {
        int layers = model.config().layers(), dim = model.config().dim();
        Magnitudes[][] mags = new Magnitudes[layers][SiteKind.values().length];
        Hooks hooks = new Hooks();
        for (int l = 0; l < layers; l++) {
            for (int k = 0; k < mags[l].length; k++) mags[l][k] = new Magnitudes();
            Magnitudes qkv = mags[l][SiteKind.ATTN_QKV.ordinal()], o = mags[l][SiteKind.ATTN_OUTPUT.ordinal()];
            Magnitudes gu = mags[l][SiteKind.FFN_GATE_UP.ordinal()], down = mags[l][SiteKind.FFN_DOWN.ordinal()];
            float[] attnNorm = model.weights().attnNorm()[l], ffnNorm = model.weights().ffnNorm()[l];
            float[][] s = scales == null ? new float[SiteKind.values().length][] : scales[l];
            float[] sQkv = s[SiteKind.ATTN_QKV.ordinal()], sO = s[SiteKind.ATTN_OUTPUT.ordinal()];
            float[] sGu = s[SiteKind.FFN_GATE_UP.ordinal()], sDown = s[SiteKind.FFN_DOWN.ordinal()];
            hooks.add(HookSite.LN1_NORMALIZED.nameAt(l), a -> qkv.add(a.data, a.offset, a.size(), attnNorm, sQkv));
            hooks.add(HookSite.ATTN_Z.nameAt(l), a -> o.add(a.data, a.offset, a.size(), null, sO));
            hooks.add(HookSite.LN2_NORMALIZED.nameAt(l), a -> gu.add(a.data, a.offset, a.size(), ffnNorm, sGu));
            hooks.add(HookSite.MLP_POST.nameAt(l), a -> down.add(a.data, a.offset, a.size(), null, sDown));
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

        /**
         * |data[i] * weight[i % w]| * scale[i % w] for count values: weight rebuilds the matmul input from a
         * norm's normalized output exactly as the forward pass does; scale is the criterion's (WINA), or null.
         */
        void add(float[] data, int off, int count, float[] weight, float[] scale) {
            if (n + count > v.length) v = Arrays.copyOf(v, Math.max(n + count, 2 * v.length));
            for (int i = 0; i < count; i++) {
                float x = data[off + i];
                if (weight != null) x *= weight[i % weight.length];
                x = Math.abs(x);
                if (scale != null) x *= scale[i % scale.length];
                v[n++] = x;
            }
        }

        float[] sorted() { float[] s = Arrays.copyOf(v, n); Arrays.sort(s); return s; }
    }
}
