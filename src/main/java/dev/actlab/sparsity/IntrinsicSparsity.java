package dev.actlab.sparsity;

import dev.actlab.io.Progress;
import dev.actlab.model.eval.Perplexity;
import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The intrinsic sparsity of a decoder's MLP activations h (blocks.L.mlp.hook_post, the input of
 * the down projection) on a text:
 * <ul>
 *   <li>exact zeros: the fraction of entries of h that are 0.0 in the unmodified forward pass;</li>
 *   <li>PPL-p% sparsity (the Sparsing Law paper, Luo et al. 2024): the largest sparsity reachable
 *       by zeroing the smallest-magnitude entries of h while perplexity rises by at most p%.
 *       The per-layer thresholds share one level q: layer L zeroes every entry with
 *       |h| <= t_L(q), t_L(q) the q-quantile of layer L's |h| on the same text (so every layer
 *       reaches sparsity q, or its exact-zero fraction if that is higher). The largest q whose
 *       perplexity is within (1 + p) of the dense one is found by bisection over [0, 1]; the
 *       reported sparsity is the measured fraction of zeros at that q. The paper sets the
 *       thresholds with CETT (the relative norm of the truncated part of the down projection's
 *       output) instead of a common quantile; a common quantile needs no weights and treats
 *       the layers alike.</li>
 * </ul>
 */
public final class IntrinsicSparsity {
    /** One evaluation of the bisection: level q, perplexity, mean measured sparsity over layers. */
    public record Probe(double level, double perplexity, double sparsity) {}

    /** Per layer: exact zeros, and at the PPL-p% level its threshold and measured sparsity. */
    public record Layer(int layer, double exactZeros, double threshold, double sparsity) {}

    public record Result(String model, String mlp, int tokens, int ctx, double pplRise, double densePerplexity,
                         double exactZeros, double level, double perplexity, double sparsity, List<Layer> layers, List<Probe> search) {
        public Map<String, Object> toJson() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", model);
            j.put("mlp", mlp);
            j.put("tokens", tokens);
            j.put("ctx", ctx);
            j.put("dense_perplexity", densePerplexity);
            j.put("exact_zeros", exactZeros);
            j.put("ppl_rise", pplRise);
            j.put("ppl_p_level", level);
            j.put("ppl_p_perplexity", perplexity);
            j.put("ppl_p_sparsity", sparsity);
            List<Map<String, Object>> l = new ArrayList<>();
            for (Layer y : layers) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("layer", y.layer);
                m.put("exact_zeros", y.exactZeros);
                m.put("ppl_p_threshold", y.threshold);
                m.put("ppl_p_sparsity", y.sparsity);
                l.add(m);
            }
            j.put("layers", l);
            List<Map<String, Object>> s = new ArrayList<>();
            for (Probe p : search) s.add(Map.of("level", p.level, "perplexity", p.perplexity, "sparsity", p.sparsity));
            j.put("search", s);
            return j;
        }

        /** For people: a header line, then one line per layer. */
        public String text() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "%s (%s MLP), %d tokens in windows of %d: perplexity %.3f%n", model, mlp, tokens, ctx, densePerplexity));
            b.append(String.format(Locale.ROOT, "exact zeros %.2f%%; PPL-%s%% sparsity %.2f%% (level %.4f, perplexity %.3f, +%.2f%%)%n", 100 * exactZeros,
                    pct(pplRise), 100 * sparsity, level, perplexity, 100 * (perplexity / densePerplexity - 1)));
            b.append("layer  exact zeros  threshold   PPL-").append(pct(pplRise)).append("% sparsity\n");
            for (Layer y : layers)
                b.append(String.format(Locale.ROOT, "%5d  %10.2f%%  %9.4g  %10.2f%%%n", y.layer, 100 * y.exactZeros, y.threshold, 100 * y.sparsity));
            return b.toString();
        }

        private static String pct(double f) { return new java.math.BigDecimal(100 * f).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString(); }
    }

    private IntrinsicSparsity() {}

    /**
     * @param pplRise allowed relative perplexity rise (0.01 for PPL-1%)
     * @param steps   bisection steps (resolution 2^-steps of the level)
     */
    public static Result run(LlamaModel m, int[] tokens, int ctx, double pplRise, int steps, Progress progress) throws IOException {
        if (!(pplRise > 0 && pplRise < 10)) throw new IllegalArgumentException("--ppl-rise must be in (0, 10), got " + pplRise);
        if (steps < 1 || steps > 30) throw new IllegalArgumentException("--steps must be in [1, 30], got " + steps);
        int window = Math.min(ctx, m.config().contextLength()), L = m.layers(), H = m.config().hiddenDim();
        // dense pass: every |h| of every layer, kept for the quantiles
        float[][] mags = new float[L][];
        int[] filled = new int[L];
        long perLayer = (long) tokens.length * H;
        if (perLayer * L > Integer.MAX_VALUE / 2) throw new IllegalArgumentException(tokens.length + " tokens x " + H + " hidden x " + L
                + " layers is too many activations to keep: give fewer tokens");
        for (int l = 0; l < L; l++) mags[l] = new float[(int) perLayer];
        Hooks collect = new Hooks();
        for (int l = 0; l < L; l++) {
            final int layer = l;
            collect.add(site(l), (Activation a) -> {
                int n = a.size();
                for (int i = 0; i < n; i++) mags[layer][filled[layer] + i] = Math.abs(a.data[a.offset + i]);
                filled[layer] += n;
            });
        }
        double dense = Perplexity.run(m, tokens, window, collect, null, null, Progress.NONE).perplexity();
        double[] zeros = new double[L];
        for (int l = 0; l < L; l++) {
            mags[l] = Arrays.copyOf(mags[l], filled[l]);
            Arrays.sort(mags[l]);
            int z = 0;
            while (z < mags[l].length && mags[l][z] == 0f) z++;
            zeros[l] = z / (double) mags[l].length;
        }
        double meanZeros = Arrays.stream(zeros).average().orElse(0);
        progress.update(1, steps + 1);

        // bisection on the common level q: lo always within the budget, hi beyond it
        List<Probe> search = new ArrayList<>();
        double lo = 0, hi = 1, budget = dense * (1 + pplRise);
        double[] bestSparsity = zeros.clone();
        double bestPpl = dense;
        for (int s = 0; s < steps; s++) {
            double q = (lo + hi) / 2;
            float[] t = thresholds(mags, q);
            double[] sp = new double[L];
            double ppl = Perplexity.run(m, tokens, window, truncating(t, sp, L), null, null, Progress.NONE).perplexity();
            for (int l = 0; l < L; l++) sp[l] /= mags[l].length;
            search.add(new Probe(q, ppl, Arrays.stream(sp).average().orElse(0)));
            if (ppl <= budget) { lo = q; bestSparsity = sp; bestPpl = ppl; }
            else hi = q;
            progress.update(s + 2, steps + 1);
        }
        float[] t = lo == 0 ? new float[L] : thresholds(mags, lo);
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < L; l++) layers.add(new Layer(l, zeros[l], t[l], bestSparsity[l]));
        return new Result(m.source(), m.config().mlp().describe(), tokens.length, window, pplRise, dense, meanZeros, lo, bestPpl,
                Arrays.stream(bestSparsity).average().orElse(0), layers, search);
    }

    private static String site(int l) { return "blocks." + l + ".mlp.hook_post"; }

    /** t_L(q): the value at rank floor(q (n - 1)) of layer L's sorted |h|. */
    private static float[] thresholds(float[][] sorted, double q) {
        float[] t = new float[sorted.length];
        for (int l = 0; l < sorted.length; l++) t[l] = sorted[l][(int) Math.floor(q * (sorted[l].length - 1))];
        return t;
    }

    /** Hooks zeroing |h| <= t[L] at every layer's hook_post; zeroed[L] counts the zeros that result. */
    private static Hooks truncating(float[] t, double[] zeroed, int L) {
        Hooks h = new Hooks();
        for (int l = 0; l < L; l++) {
            final int layer = l;
            h.add(site(l), (Activation a) -> {
                int n = a.size();
                long z = 0;
                for (int i = a.offset; i < a.offset + n; i++) {
                    if (Math.abs(a.data[i]) <= t[layer]) a.data[i] = 0f;
                    if (a.data[i] == 0f) z++;
                }
                zeroed[layer] += z;
            });
        }
        return h;
    }
}
