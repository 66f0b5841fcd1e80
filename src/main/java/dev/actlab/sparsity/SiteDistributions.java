package dev.actlab.sparsity;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The calibration statistics of one method: at every site the method sparsifies, the sorted values of
 * its criterion over the calibration tokens, from which the threshold for any target sparsity is one
 * quantile (so a uniform target and a greedy per-site allocation read the same collection).
 *
 * <p>The dense model runs the tokens (in windows of its context) with read hooks that rebuild each
 * matmul input: ln1.hook_normalized x attn_norm (q/k/v), attn.hook_z (o), ln2.hook_normalized x
 * ffn_norm (gate/up), mlp.hook_post (down); CATS reads mlp.hook_pre (the gate) and takes |SiLU(gate)|.
 * Criteria: teal |x[i]|; wina and rsparse |x[i]| * ||W[:, i]||; chess |x[i]|, sorted per input channel (one threshold
 * per channel); cats |SiLU(gate[i])| at the ffn_down sites only.
 */
public final class SiteDistributions {
    private final String method, source;
    private final int layers, tokens;
    private final float[][][] sorted;       // [layer][kind]: criterion values sorted; null where the method stays dense
    private final float[][][][] channels;   // chess: [layer][kind][channel] sorted; else null

    private SiteDistributions(String method, String source, int layers, int tokens, float[][][] sorted, float[][][][] channels) {
        this.method = method; this.source = source; this.layers = layers; this.tokens = tokens; this.sorted = sorted; this.channels = channels;
    }

    public String method() { return method; }
    public int layers() { return layers; }
    /** Whether the method thresholds this kind of site (cats: ffn_down only). */
    public boolean sparsifies(SiteKind k) { return sorted[0][k.ordinal()] != null; }

    public static SiteDistributions collect(String method, LlamaModel model, CalibrationText text, Progress progress) {
        return collect(method, model, text.tokens(), text.source(), progress);
    }

    public static SiteDistributions collect(String method, LlamaModel model, int[] tokens, String source, Progress progress) {
        if (!Thresholds.METHODS.contains(method))
            throw new IllegalArgumentException("sparsity method \"" + method + "\" is not implemented (" + String.join(", ", Thresholds.METHODS) + " are)");
        if (tokens.length < 2) throw new IllegalArgumentException("calibration needs at least 2 tokens, got " + tokens.length);
        int layers = model.config().layers();
        float[][][] scales = method.equals("wina") || method.equals("rsparse") ? WinaScales.of(model.weights()) : new float[layers][SiteKind.values().length][];
        boolean cats = method.equals("cats");
        Values[][] vals = new Values[layers][SiteKind.values().length];
        Hooks hooks = new Hooks();
        for (int l = 0; l < layers; l++) {
            float[][] s = scales[l];
            if (cats) {
                Values down = vals[l][SiteKind.FFN_DOWN.ordinal()] = new Values();
                hooks.add(HookSite.MLP_PRE.nameAt(l), a -> down.addSilu(a.data, a.offset, a.size()));
                continue;
            }
            for (int k = 0; k < SiteKind.values().length; k++) vals[l][k] = new Values();
            Values qkv = vals[l][SiteKind.ATTN_QKV.ordinal()], o = vals[l][SiteKind.ATTN_OUTPUT.ordinal()];
            Values gu = vals[l][SiteKind.FFN_GATE_UP.ordinal()], down = vals[l][SiteKind.FFN_DOWN.ordinal()];
            float[] attnNorm = model.weights().attnNorm()[l], ffnNorm = model.weights().ffnNorm()[l];
            hooks.add(HookSite.LN1_NORMALIZED.nameAt(l), a -> qkv.add(a.data, a.offset, a.size(), attnNorm, s[SiteKind.ATTN_QKV.ordinal()]));
            hooks.add(HookSite.ATTN_Z.nameAt(l), a -> o.add(a.data, a.offset, a.size(), null, s[SiteKind.ATTN_OUTPUT.ordinal()]));
            hooks.add(HookSite.LN2_NORMALIZED.nameAt(l), a -> gu.add(a.data, a.offset, a.size(), ffnNorm, s[SiteKind.FFN_GATE_UP.ordinal()]));
            hooks.add(HookSite.MLP_POST.nameAt(l), a -> down.add(a.data, a.offset, a.size(), null, s[SiteKind.FFN_DOWN.ordinal()]));
        }
        int ctx = model.config().contextLength();
        for (int start = 0; start < tokens.length; start += ctx) {
            model.run(Arrays.copyOfRange(tokens, start, Math.min(tokens.length, start + ctx)), hooks);
            progress.update(Math.min(tokens.length, start + ctx), tokens.length);
        }
        boolean chess = method.equals("chess");
        float[][][] sorted = new float[layers][SiteKind.values().length][];
        float[][][][] ch = chess ? new float[layers][SiteKind.values().length][][] : null;
        for (int l = 0; l < layers; l++)
            for (SiteKind k : SiteKind.values()) {
                Values v = vals[l][k.ordinal()];
                if (v == null) continue;
                if (chess) ch[l][k.ordinal()] = v.perChannel(width(model, k));
                sorted[l][k.ordinal()] = v.sorted();
            }
        return new SiteDistributions(method, source, layers, tokens.length, sorted, ch);
    }

    /** The input width of a site's matmul. */
    static int width(LlamaModel m, SiteKind k) {
        var w = m.weights();
        return switch (k) {
            case ATTN_QKV -> w.wq()[0].cols();
            case ATTN_OUTPUT -> w.wo()[0].cols();
            case FFN_GATE_UP -> w.wGate()[0].cols();
            case FFN_DOWN -> w.wDown()[0].cols();
        };
    }

    /** Every site the method sparsifies at the same target (rsparse: the same weight budget, split as {@link RankAware#SPARSE_SHARE} says). */
    public Thresholds uniform(double sparsity) {
        if (method.equals("rsparse")) return rsparse(sparsity, RankAware.SPARSE_SHARE);
        double[][] level = new double[layers][SiteKind.values().length];
        for (double[] row : level) Arrays.fill(row, sparsity);
        return at(level, "uniform", sparsity);
    }

    /**
     * R-Sparse at weight sparsity s with a share alpha of the remaining budget for the sparse part: every site's
     * threshold at activation sparsity 1 - (1 - s) alpha (the site's target in the file), the file's target s;
     * the ranks follow from the two ({@link RankAware#rank}).
     */
    public Thresholds rsparse(double s, double alpha) {
        if (!method.equals("rsparse")) throw new IllegalStateException("these are " + method + " distributions, not rsparse");
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("sparse share " + alpha + " must be in [0, 1]");
        double[][] level = new double[layers][SiteKind.values().length];
        // no budget to save (s = 0): dense, as every method at sparsity 0
        double a = s <= 0 ? 0 : Math.min(RankAware.MAX_ACTIVATION_SPARSITY, RankAware.activationSparsity(s, alpha));
        for (double[] row : level) Arrays.fill(row, a);
        return at(level, "uniform", s);
    }

    /** Thresholds for a target per site, level[layer][kind] (ignored where the method stays dense). */
    public Thresholds at(double[][] level, String allocation, double target) {
        if (!(target >= 0 && target < 1)) throw new IllegalArgumentException("target sparsity " + target + " must be in [0, 1)");
        List<Thresholds.Site> sites = new ArrayList<>();
        for (int l = 0; l < layers; l++)
            for (SiteKind k : SiteKind.values()) {
                float[] v = sorted[l][k.ordinal()];
                if (v == null) continue;
                double s = level[l][k.ordinal()];
                if (!(s >= 0 && s < 1)) throw new IllegalArgumentException("site " + k.siteName(l) + " target " + s + " must be in [0, 1)");
                if (channels == null) {
                    float t = threshold(v, s);
                    sites.add(new Thresholds.Site(l, k, t, below(v, t), s, null));
                    continue;
                }
                float[][] c = channels[l][k.ordinal()];
                float[] t = new float[c.length];
                float max = 0;
                double skipped = 0, n = 0;
                for (int i = 0; i < c.length; i++) {
                    t[i] = threshold(c[i], s);
                    max = Math.max(max, t[i]);
                    skipped += below(c[i], t[i]) * c[i].length;
                    n += c[i].length;
                }
                sites.add(new Thresholds.Site(l, k, max, n == 0 ? 0 : skipped / n, s, t));
            }
        return new Thresholds(method, allocation, target, layers, tokens, source, sites);
    }

    /**
     * The value with a fraction `sparsity` of sorted below it; 0 (nothing skipped) at sparsity 0. When more than
     * that fraction is exactly 0 (a ReLU's output), the quantile is 0 and "below 0" would skip nothing: then the
     * smallest positive float, so exactly the zeros are skipped (they cost nothing to skip and add nothing).
     */
    static float threshold(float[] sorted, double sparsity) {
        if (sparsity <= 0 || sorted.length == 0) return 0f;
        int k = (int) Math.min(sorted.length - 1, Math.round(sparsity * sorted.length));
        return sorted[k] == 0f ? Float.MIN_VALUE : sorted[k];
    }

    /** Fraction of sorted strictly below t. */
    static double below(float[] sorted, float t) {
        int lo = 0, hi = sorted.length;
        while (lo < hi) { int mid = (lo + hi) >>> 1; if (sorted[mid] < t) lo = mid + 1; else hi = mid; }
        return sorted.length == 0 ? 0 : (double) lo / sorted.length;
    }

    /** A growing list of criterion values, token-major (value i of a token is channel i % width). */
    static final class Values {
        private float[] v = new float[1 << 12];
        private int n;

        private void grow(int count) { if (n + count > v.length) v = Arrays.copyOf(v, Math.max(n + count, 2 * v.length)); }

        /**
         * |data[i] * weight[i % w]| * scale[i % w] for count values: weight rebuilds the matmul input from a
         * norm's normalized output exactly as the forward pass does; scale is the criterion's (WINA), or null.
         */
        void add(float[] data, int off, int count, float[] weight, float[] scale) {
            grow(count);
            for (int i = 0; i < count; i++) {
                float x = data[off + i];
                if (weight != null) x *= weight[i % weight.length];
                x = Math.abs(x);
                if (scale != null) x *= scale[i % scale.length];
                v[n++] = x;
            }
        }

        /** |SiLU(g)| of gate pre-activations, computed as the forward pass computes SiLU. */
        void addSilu(float[] data, int off, int count) {
            grow(count);
            for (int i = 0; i < count; i++) v[n++] = Math.abs(silu(data[off + i]));
        }

        float[] sorted() { float[] s = Arrays.copyOf(v, n); Arrays.sort(s); return s; }

        /** The values of each channel, sorted: [width][tokens]. */
        float[][] perChannel(int width) {
            if (n % width != 0) throw new IllegalStateException(n + " values are not whole rows of " + width);
            float[][] c = new float[width][n / width];
            for (int i = 0; i < n; i++) c[i % width][i / width] = v[i];
            for (float[] ch : c) Arrays.sort(ch);
            return c;
        }
    }

    /** SiLU as LlamaModel computes it, so a calibrated threshold splits exactly the values the forward pass sees. */
    static float silu(float g) { return g / (1f + (float) Math.exp(-g)); }
}
