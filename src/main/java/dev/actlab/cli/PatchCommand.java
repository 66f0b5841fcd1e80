package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;

import dev.actlab.io.AtomicFile;
import dev.actlab.inspect.TokenText;
import dev.actlab.model.hook.ActivationCache;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.steer.ActivationPatching;
import dev.actlab.steer.ActivationPatching.Positions;
import dev.actlab.steer.AttributionPatching;
import dev.actlab.steer.Correlation;
import dev.actlab.steer.PatchMetric;
import dev.actlab.tensor.Parallel;
import dev.actlab.train.TrainModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * `actlab patch`: activation patching from a clean into a corrupted input, and with
 * --attribution its gradient estimate (attribution patching) with the correlation between the two.
 */
@Command(name = "patch", mixinStandardHelpOptions = true,
        description = {"Activation patching: rerun the corrupted input with one site (and position) taken from the clean run and report how much of the metric it restores.",
                "With --attribution, also estimate every patch from the clean and corrupted runs and one backward pass (gradient x activation difference) and report how well the estimate correlates with the real patches."})
public final class PatchCommand implements Callable<Integer> {
    static final String DEFAULT_SITES = "blocks.*.hook_resid_pre,blocks.*.hook_attn_out,blocks.*.hook_mlp_out";

    @Spec CommandSpec spec;
    @Option(names = "--model", description = ModelRef.OPTIONAL) String model;
    @Option(names = "--clean", description = "The clean input text (BOS is prepended).") String clean;
    @Option(names = "--corrupt", description = "The corrupted input text; must be as many tokens as the clean one.") String corrupt;
    @Option(names = "--clean-tokens", description = "The clean input as token ids, e.g. \"1 403 407\".") String cleanTokens;
    @Option(names = "--corrupt-tokens", description = "The corrupted input as token ids.") String corruptTokens;
    @Option(names = "--metric", required = true, description = "logit_diff:A,B (logit of A minus logit of B at the last position) or logprob:A; "
            + "A and B are one-token texts taken literally (\"logit_diff: he, she\") or ids (#123).") String metric;
    @Option(names = "--sites", split = ",", description = "Site globs, comma-separated (default " + DEFAULT_SITES + ").") List<String> sites;
    @Option(names = "--positions", defaultValue = "each", description = "each: patch every position on its own; all: every position of a site at once (default ${DEFAULT-VALUE}).") String positions;
    @Option(names = "--attribution", description = "Also run attribution patching and correlate it with the real patches.") boolean attribution;
    @Option(names = "--out", description = "Directory for patch.json and patch.html.") Path out;
    @Option(names = "--threads", description = "Worker threads (default: all cores).") Integer threads;
    @Option(names = "--json", description = "Print JSON instead of tables.") boolean json;

    @Override public Integer call() throws Exception {
        if (threads != null) Parallel.setDefaultThreads(threads);
        Positions mode = switch (positions.toLowerCase(Locale.ROOT)) {
            case "each" -> Positions.EACH;
            case "all" -> Positions.ALL;
            default -> throw new IllegalArgumentException("--positions must be each or all, not " + positions);
        };
        LlamaModel m = ModelRef.decoder(model);
        int[] cleanIds = tokens(m, clean, cleanTokens, "--clean"), corruptIds = tokens(m, corrupt, corruptTokens, "--corrupt");
        if (cleanIds.length != corruptIds.length)
            throw new IllegalArgumentException("--clean is " + cleanIds.length + " tokens and --corrupt " + corruptIds.length
                    + ": patching needs inputs of the same length (clean: " + labels(m, cleanIds) + "; corrupt: " + labels(m, corruptIds) + ")");
        PatchMetric pm = PatchMetric.parse(metric, m.tokenizer(), m.config().vocabSize());
        List<String> siteNames = ActivationPatching.selectSites(m.sites(), sites == null ? List.of(DEFAULT_SITES.split(",")) : sites);
        if (attribution) checkGradientSites(siteNames);

        Experiment x = Experiment.run(m, cleanIds, corruptIds, pm, siteNames, mode, attribution);
        Map<String, Object> j = json(m, cleanIds, corruptIds, x);
        if (out != null) x.write(out, m, cleanIds, corruptIds, j);
        PrintWriter pw = spec.commandLine().getOut();
        if (json) pw.println(Json.write(j));
        else print(pw, m, cleanIds, corruptIds, x);
        pw.flush();
        return 0;
    }

    /** One patching experiment: the real patches, the attribution estimate (or null) and their times. */
    record Experiment(ActivationPatching.Result result, double[][] estimate, double patchSecs, double attrSecs, double copySecs) {
        static Experiment run(LlamaModel m, int[] cleanIds, int[] corruptIds, PatchMetric pm, List<String> siteNames, Positions mode,
                              boolean attribution) {
            long t0 = System.nanoTime();
            ProgressBar bar = new ProgressBar("patch:", "runs");
            ActivationPatching.Result r = ActivationPatching.run(m, cleanIds, corruptIds, pm, siteNames, mode, bar::update);
            double patchSecs = (System.nanoTime() - t0) / 1e9;
            if (!attribution) return new Experiment(r, null, patchSecs, 0, 0);
            long t1 = System.nanoTime();
            TrainModel tm;
            try { tm = TrainModel.from(m); }
            catch (IllegalArgumentException e) { throw new IllegalArgumentException("--attribution needs a model the training path can run: " + e.getMessage()); }
            double copySecs = (System.nanoTime() - t1) / 1e9;
            long t2 = System.nanoTime();
            Set<String> wanted = Set.copyOf(siteNames);
            int V = m.config().vocabSize(), T = corruptIds.length;
            Map<String, float[]> grads = tm.siteGradients(corruptIds, logits -> pm.gradient(logits, T, V), wanted::contains);
            ActivationCache cleanCache = ActivationPatching.cache(m, cleanIds, siteNames), corruptCache = ActivationPatching.cache(m, corruptIds, siteNames);
            double[][] estimate = AttributionPatching.estimate(cleanCache, corruptCache, grads, siteNames, T, mode);
            return new Experiment(r, estimate, patchSecs, (System.nanoTime() - t2) / 1e9, copySecs);
        }

        int runs() { return result.sites().size() * result.columns() + 2; }

        /** DIR/patch.json and DIR/patch.html. */
        void write(Path dir, LlamaModel m, int[] cleanIds, int[] corruptIds, Map<String, Object> json) throws java.io.IOException {
            AtomicFile.writeString(dir.resolve("patch.json"), Json.write(json));
            AtomicFile.writeString(dir.resolve("patch.html"), PatchReport.html(m.source(), result, estimate,
                    columnLabels(m, cleanIds, corruptIds, result.mode()), json));
        }
    }

    /** The sites TrainModel.siteGradients reports. */
    private static void checkGradientSites(List<String> sites) {
        Set<String> ok = Set.of("hook_embed", "hook_resid_pre", "hook_resid_mid", "hook_resid_post", "hook_attn_out", "hook_mlp_out",
                "attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_rot_q", "attn.hook_rot_k", "attn.hook_z",
                "mlp.hook_pre", "mlp.hook_pre_linear", "mlp.hook_post");
        for (String s : sites)
            if (!ok.contains(kind(s)))
                throw new IllegalArgumentException("--attribution has no gradient for " + s + "; it supports " + String.join(", ", new java.util.TreeSet<>(ok)));
    }

    /** blocks.3.hook_resid_pre -> hook_resid_pre. */
    static String kind(String site) { return site.startsWith("blocks.") ? site.substring(site.indexOf('.', 7) + 1) : site; }

    private static int[] tokens(LlamaModel m, String text, String ids, String option) {
        if ((text == null) == (ids == null)) throw new IllegalArgumentException("give exactly one of " + option + " or " + option + "-tokens");
        return TokenArgs.resolve(m, text, ids);
    }

    private static String labels(LlamaModel m, int[] ids) {
        TokenText t = new TokenText(m.tokenizer());
        StringBuilder b = new StringBuilder();
        for (int id : ids) b.append(b.isEmpty() ? "" : " ").append(t.label(id));
        return b.toString();
    }

    /** A column per position: the clean token, and the corrupted one where it differs. */
    static List<String> columnLabels(LlamaModel m, int[] clean, int[] corrupt, Positions mode) {
        if (mode == Positions.ALL) return List.of("all");
        TokenText t = new TokenText(m.tokenizer());
        List<String> out = new ArrayList<>();
        for (int p = 0; p < clean.length; p++)
            out.add(clean[p] == corrupt[p] ? t.label(clean[p]) : t.label(clean[p]) + "/" + t.label(corrupt[p]));
        return out;
    }

    /** Correlation of estimate with effect over every cell, and per site kind. */
    static Map<String, Object> correlation(ActivationPatching.Result r, double[][] estimate) {
        Map<String, List<double[]>> byKind = new LinkedHashMap<>();
        List<double[]> all = new ArrayList<>();
        for (int s = 0; s < r.sites().size(); s++)
            for (int c = 0; c < r.columns(); c++) {
                double[] pair = {r.effect(s, c), estimate[s][c]};
                all.add(pair);
                byKind.computeIfAbsent(kind(r.sites().get(s)), k -> new ArrayList<>()).add(pair);
            }
        Map<String, Object> j = correlationOf(all);
        Map<String, Object> kinds = new LinkedHashMap<>();
        byKind.forEach((k, v) -> kinds.put(k, correlationOf(v)));
        j.put("by_site_kind", kinds);
        return j;
    }

    private static Map<String, Object> correlationOf(List<double[]> pairs) {
        double[] x = new double[pairs.size()], y = new double[pairs.size()];
        for (int i = 0; i < x.length; i++) { x[i] = pairs.get(i)[0]; y[i] = pairs.get(i)[1]; }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("cells", x.length);
        j.put("pearson", finite(Correlation.pearson(x, y)));
        j.put("spearman", finite(Correlation.spearman(x, y)));
        return j;
    }

    private static Object finite(double v) { return Double.isFinite(v) ? v : null; }

    static Map<String, Object> json(LlamaModel m, int[] cleanIds, int[] corruptIds, Experiment x) {
        ActivationPatching.Result r = x.result();
        double[][] estimate = x.estimate();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", m.source());
        j.put("metric", r.metric().spec());
        j.put("clean", Map.of("tokens", cleanIds, "metric", r.clean()));
        j.put("corrupt", Map.of("tokens", corruptIds, "metric", r.corrupt()));
        j.put("positions", r.mode().name().toLowerCase(Locale.ROOT));
        j.put("columns", columnLabels(m, cleanIds, corruptIds, r.mode()));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int s = 0; s < r.sites().size(); s++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("site", r.sites().get(s));
            double[] effect = new double[r.columns()], restored = new double[r.columns()];
            for (int c = 0; c < r.columns(); c++) { effect[c] = r.effect(s, c); restored[c] = r.restored(s, c); }
            row.put("patched_metric", r.patched()[s]);
            row.put("effect", effect);
            row.put("restored", restored);
            if (estimate != null) row.put("attribution_effect", estimate[s]);
            rows.add(row);
        }
        j.put("sites", rows);
        Map<String, Object> secs = new LinkedHashMap<>();
        secs.put("activation_patching", x.patchSecs());
        secs.put("activation_patching_runs", x.runs());
        if (estimate != null) {
            j.put("correlation", correlation(r, estimate));
            secs.put("attribution", x.attrSecs());
            secs.put("attribution_model_copy", x.copySecs());
        }
        j.put("seconds", secs);
        return j;
    }

    private static void print(PrintWriter pw, LlamaModel m, int[] cleanIds, int[] corruptIds, Experiment x) {
        ActivationPatching.Result r = x.result();
        double[][] estimate = x.estimate();
        pw.printf(Locale.ROOT, "%s, metric %s%n", m.source(), r.metric().spec());
        pw.printf(Locale.ROOT, "clean   (%d tokens) %s: %.4f%n", cleanIds.length, labels(m, cleanIds), r.clean());
        pw.printf(Locale.ROOT, "corrupt (%d tokens) %s: %.4f%n", corruptIds.length, labels(m, corruptIds), r.corrupt());
        List<String> cols = columnLabels(m, cleanIds, corruptIds, r.mode());
        pw.println();
        pw.println("activation patching, restored fraction (patched - corrupt) / (clean - corrupt):");
        table(pw, r.sites(), cols, (s, c) -> r.restored(s, c));
        if (estimate != null) {
            pw.println();
            pw.println("attribution patching, the same fraction estimated as (a_clean - a_corrupt) . dmetric/da:");
            table(pw, r.sites(), cols, (s, c) -> estimate[s][c] / (r.clean() - r.corrupt()));
            Map<String, Object> corr = correlation(r, estimate);
            pw.println();
            pw.printf(Locale.ROOT, "correlation with activation patching over %s cells: Pearson %s, Spearman %s%n", corr.get("cells"), fmt(corr.get("pearson")), fmt(corr.get("spearman")));
            @SuppressWarnings("unchecked") Map<String, Map<String, Object>> kinds = (Map<String, Map<String, Object>>) corr.get("by_site_kind");
            kinds.forEach((k, v) -> pw.printf(Locale.ROOT, "  %-20s Pearson %s, Spearman %s (%s cells)%n", k, fmt(v.get("pearson")), fmt(v.get("spearman")), v.get("cells")));
            pw.printf(Locale.ROOT, "time: activation patching %.2f s (%d forward passes); attribution %.3f s (clean and corrupted runs + 1 backward pass, after copying the weights in %.2f s)%n",
                    x.patchSecs(), x.runs(), x.attrSecs(), x.copySecs());
        } else {
            pw.printf(Locale.ROOT, "time: %.2f s (%d forward passes)%n", x.patchSecs(), x.runs());
        }
    }

    /** A correlation from correlation(): three decimals, or n/a when undefined (null). */
    static String fmt(Object v) { return v == null ? "n/a" : String.format(Locale.ROOT, "%.3f", (Double) v); }

    private interface Cell { double at(int site, int col); }

    private static void table(PrintWriter pw, List<String> sites, List<String> cols, Cell cell) {
        int w0 = sites.stream().mapToInt(String::length).max().orElse(4);
        List<String> heads = new ArrayList<>();
        for (String c : cols) heads.add(c.length() > 12 ? c.substring(0, 11) + "\u2026" : c);
        int[] w = new int[heads.size()];
        for (int c = 0; c < w.length; c++) w[c] = Math.max(6, heads.get(c).length());
        StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "%-" + w0 + "s", "site"));
        for (int c = 0; c < w.length; c++) h.append("  ").append(String.format(Locale.ROOT, "%" + w[c] + "s", heads.get(c)));
        pw.println(h);
        for (int s = 0; s < sites.size(); s++) {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-" + w0 + "s", sites.get(s)));
            for (int c = 0; c < w.length; c++) b.append("  ").append(String.format(Locale.ROOT, "%" + w[c] + ".2f", cell.at(s, c)));
            pw.println(b);
        }
    }
}
