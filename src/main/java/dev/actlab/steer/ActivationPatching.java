package dev.actlab.steer;

import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.ActivationCache;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.hook.SiteSuggestions;
import dev.actlab.model.hook.SiteTable;
import dev.actlab.io.Progress;
import dev.actlab.model.hook.HookedDecoder;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Activation patching: run a clean and a corrupted input of the same length, then rerun the
 * corrupted one once per site (and per position), with that site's activation replaced by the
 * clean run's, and read the metric. How much of the clean-minus-corrupted metric a patch
 * restores says how much the behaviour flows through that activation.
 */
public final class ActivationPatching {
    /** EACH: one patch per site and position; ALL: one patch per site, every position at once. */
    public enum Positions { EACH, ALL }

    /**
     * patched[site][p]: the metric of the corrupted run with site patched at position p (or, for
     * ALL, at every position: one column).
     */
    public record Result(PatchMetric metric, List<String> sites, int positions, Positions mode,
                         double clean, double corrupt, double[][] patched) {
        public int columns() { return mode == Positions.EACH ? positions : 1; }

        /** patched - corrupt: the metric change the patch causes. */
        public double effect(int site, int column) { return patched[site][column] - corrupt; }

        /** (patched - corrupt) / (clean - corrupt): 1 restores the clean metric, 0 changes nothing. */
        public double restored(int site, int column) { return effect(site, column) / (clean - corrupt); }
    }

    private ActivationPatching() {}

    /**
     * The model's sites that match any of the globs, in forward order. Attention scores and
     * patterns ([heads, q, k]) are refused: patching here moves positions.
     */
    public static List<String> selectSites(SiteTable table, List<String> globs) {
        Set<String> out = new LinkedHashSet<>();
        for (String g : globs) {
            Predicate<String> m = Hooks.glob(g.trim());
            List<String> hit = table.names().stream().filter(m).toList();
            if (hit.isEmpty()) throw new IllegalArgumentException(SiteSuggestions.noMatch("--sites", g, "this model", table));
            for (String s : hit) {
                if (s.endsWith("hook_attn_scores") || s.endsWith("hook_pattern"))
                    throw new IllegalArgumentException("--sites " + g.trim() + ": " + s + " is [heads, q_pos, k_pos]; patching moves positions, choose a [pos, ...] site");
                out.add(s);
            }
        }
        List<String> ordered = new ArrayList<>();
        for (String s : table.names()) if (out.contains(s)) ordered.add(s);
        return ordered;
    }

    /** The activations at the given sites for one run of tokens from position 0. */
    public static ActivationCache cache(HookedDecoder model, int[] tokens, List<String> sites) {
        Set<String> wanted = Set.copyOf(sites);
        return model.runWithCache(tokens, wanted::contains);
    }

    /** Metric of one run of tokens with hooks. */
    public static double metric(HookedDecoder model, int[] tokens, Hooks hooks, PatchMetric metric) {
        float[] last = model.lastLogits(tokens, hooks);   // [V]: the last position's logits
        return metric.value(last, 1, model.vocabSize());
    }

    /** Runs every patch; progress sees (runs done, runs in all) after each run. */
    public static Result run(HookedDecoder model, int[] clean, int[] corrupt, PatchMetric metric, List<String> sites, Positions mode,
                             Progress progress) {
        if (clean.length != corrupt.length)
            throw new IllegalArgumentException("the clean input is " + clean.length + " tokens and the corrupted one " + corrupt.length
                    + ": patching needs inputs of the same length");
        int T = clean.length, cols = mode == Positions.EACH ? T : 1;
        ActivationCache cleanCache = cache(model, clean, sites);
        double cleanMetric = metric(model, clean, Hooks.none(), metric);
        double corruptMetric = metric(model, corrupt, Hooks.none(), metric);
        double[][] patched = new double[sites.size()][cols];
        int done = 0, total = sites.size() * cols;
        for (int s = 0; s < sites.size(); s++) {
            Activation source = cleanCache.get(sites.get(s));
            for (int col = 0; col < cols; col++) {
                int from = mode == Positions.EACH ? col : 0, to = mode == Positions.EACH ? col + 1 : T;
                patched[s][col] = metric(model, corrupt, Hooks.of(sites.get(s), a -> copyRows(source, a, from, to)), metric);
                progress.update(++done, total);
            }
        }
        return new Result(metric, List.copyOf(sites), T, mode, cleanMetric, corruptMetric, patched);
    }

    /** Rows (positions) [from, to) of source into target, in place. */
    private static void copyRows(Activation source, Activation target, int from, int to) {
        int width = target.size() / target.shape[0];
        System.arraycopy(source.data, source.offset + from * width, target.data, target.offset + from * width, (to - from) * width);
    }
}
