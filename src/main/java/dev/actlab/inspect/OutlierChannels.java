package dev.actlab.inspect;

import dev.actlab.model.hook.HookSite;


import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hook;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Outlier feature channels in the sense of LLM.int8() (Dettmers et al. 2022): channels of the
 * hidden state entering the linear layers whose magnitude reaches 6 or more in at least 25% of the
 * layers and, in each such layer, at at least 6% of the tokens.
 *
 * Sites: the residual stream entering each sub-block, {@code blocks.L.hook_resid_pre} (the input
 * of the norm before the attention projections) and {@code blocks.L.hook_resid_mid} (the input of
 * the norm before the MLP). Channel c is "affected in layer L" when, at either of these sites of
 * layer L, |x_c| >= threshold at >= tokenFraction of the tokens; it is an outlier channel when it
 * is affected in >= layerFraction of the layers.
 */
public final class OutlierChannels implements Hook {
    public static final List<String> SITE_SUFFIXES = List.of("hook_resid_pre", "hook_resid_mid");

    /** One outlier channel: in which layers it is affected and its largest fraction of tokens there. */
    public record Finding(int channel, List<Integer> layers, double layerFraction, double maxTokenFraction, float maxAbs) {}

    public record Result(Rule rule, List<Finding> findings, double[][] tokenFraction) {}

    private final float threshold;
    private final double layerFraction, tokenFraction;
    private final int layers;
    private final Map<String, long[]> above = new HashMap<>();   // site -> [channels] tokens with |x| >= threshold
    private final Map<String, Long> tokens = new HashMap<>();     // site -> tokens seen
    private final Map<String, float[]> maxAbs = new HashMap<>();  // site -> [channels]

    public OutlierChannels(int layers, float threshold, double layerFraction, double tokenFraction) {
        this.layers = layers; this.threshold = threshold; this.layerFraction = layerFraction; this.tokenFraction = tokenFraction;
    }

    public static boolean listensTo(String site) {
        return HookSite.layerOf(site) >= 0 && SITE_SUFFIXES.contains(HookSite.suffixOf(site));
    }

    @Override public void apply(Activation a) {
        if (!listensTo(a.name)) return;
        int d = a.shape[a.shape.length - 1], n = a.size() / d;
        long[] cnt = above.computeIfAbsent(a.name, k -> new long[d]);
        float[] mx = maxAbs.computeIfAbsent(a.name, k -> new float[d]);
        for (int r = 0; r < n; r++) {
            int base = a.offset + r * d;
            for (int i = 0; i < d; i++) {
                float v = Math.abs(a.data[base + i]);
                if (v >= threshold) cnt[i]++;
                if (v > mx[i]) mx[i] = v;
            }
        }
        tokens.merge(a.name, (long) n, Long::sum);
    }

    public Result result() {
        int d = above.values().stream().mapToInt(v -> v.length).max().orElse(0);
        // frac[L][c]: the largest fraction of tokens with |x_c| >= threshold over the sites of layer L
        double[][] frac = new double[layers][d];
        float[] channelMax = new float[d];
        for (var e : above.entrySet()) {
            int l = HookSite.layerOf(e.getKey());
            long n = tokens.get(e.getKey());
            float[] mx = maxAbs.get(e.getKey());
            for (int c = 0; c < e.getValue().length; c++) {
                frac[l][c] = Math.max(frac[l][c], (double) e.getValue()[c] / n);
                channelMax[c] = Math.max(channelMax[c], mx[c]);
            }
        }
        List<Finding> found = new ArrayList<>();
        for (int c = 0; c < d; c++) {
            List<Integer> affected = new ArrayList<>();
            double maxFrac = 0;
            for (int l = 0; l < layers; l++) {
                if (frac[l][c] >= tokenFraction) { affected.add(l); maxFrac = Math.max(maxFrac, frac[l][c]); }
            }
            double lf = (double) affected.size() / layers;
            if (!affected.isEmpty() && lf >= layerFraction) found.add(new Finding(c, affected, lf, maxFrac, channelMax[c]));
        }
        Rule rule = new Rule("outlier_channels",
                "channel c is affected in layer L when |x_c| >= " + threshold + " at >= " + pct(tokenFraction)
                        + " of the tokens at blocks.L.hook_resid_pre or blocks.L.hook_resid_mid (the residual stream entering the attention and MLP norms);"
                        + " an outlier channel is affected in >= " + pct(layerFraction) + " of the layers (LLM.int8(), Dettmers et al. 2022)",
                Map.of("threshold", threshold, "layer_fraction", layerFraction, "token_fraction", tokenFraction,
                        "sites", List.of("blocks.*.hook_resid_pre", "blocks.*.hook_resid_mid")));
        return new Result(rule, found, frac);
    }

    private static String pct(double f) { return Math.round(f * 1000) / 10.0 + "%"; }
}
