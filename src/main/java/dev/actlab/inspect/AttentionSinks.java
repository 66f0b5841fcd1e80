package dev.actlab.inspect;

import dev.actlab.model.hook.HookSite;


import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hook;
import java.util.Map;

/**
 * Attention sinks (Xiao et al. 2023): the mean attention weight that queries put on the first
 * position of their sequence, per layer and head, read from {@code blocks.L.attn.hook_pattern}
 * [heads, q_pos, k_pos]. Query 0 is left out: in a causal model it can attend only to itself.
 */
public final class AttentionSinks implements Hook {
    public static final String SITE_SUFFIX = "attn.hook_pattern";

    /** mass[L][h] = mean over queries q >= 1 of pattern[h][q][0]; NaN where no query was seen. */
    public record Result(Rule rule, double[][] mass, long queries) {}

    private final double[][] sum;    // [layers][heads]
    private final long[][] queries;  // [layers][heads]
    private int heads;

    public AttentionSinks(int layers) { this.sum = new double[layers][]; this.queries = new long[layers][]; }

    public static boolean listensTo(String site) { return HookSite.layerOf(site) >= 0 && HookSite.suffixOf(site).equals(SITE_SUFFIX); }

    @Override public void apply(Activation a) {
        if (!listensTo(a.name)) return;
        if (a.shape.length != 3) throw new IllegalStateException(a.name + ": expected [heads, q, k], got " + java.util.Arrays.toString(a.shape));
        int l = HookSite.layerOf(a.name), h = a.shape[0], nq = a.shape[1], nk = a.shape[2];
        if (sum[l] == null) { sum[l] = new double[h]; queries[l] = new long[h]; heads = Math.max(heads, h); }
        for (int head = 0; head < h; head++) {
            for (int q = 0; q < nq; q++) {
                if (a.startPos + q == 0) continue;
                sum[l][head] += a.data[a.offset + (head * nq + q) * nk];   // pattern[head][q][0]
                queries[l][head]++;
            }
        }
    }

    public Result result() {
        double[][] mass = new double[sum.length][heads];
        long total = 0;
        for (int l = 0; l < sum.length; l++) {
            java.util.Arrays.fill(mass[l], Double.NaN);
            if (sum[l] == null) continue;
            for (int h = 0; h < sum[l].length; h++) if (queries[l][h] > 0) mass[l][h] = sum[l][h] / queries[l][h];
            total = Math.max(total, queries[l][0]);
        }
        Rule rule = new Rule("attention_sinks",
                "mean over queries q >= 1 of the attention weight on key position 0 (the first token of each chunk), per layer and head, from blocks.L." + SITE_SUFFIX,
                Map.of("site", "blocks.*." + SITE_SUFFIX, "key_position", 0, "queries", "q >= 1"));
        return new Result(rule, mass, total);
    }
}
