package dev.actlab.steer;

import dev.actlab.inspect.TokenText;
import dev.actlab.io.AtomicFile;
import dev.actlab.io.Json;
import dev.actlab.io.Progress;
import dev.actlab.model.hook.ActivationCache;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.tokenizer.Tokenizer;
import dev.actlab.steer.ActivationPatching.Positions;
import dev.actlab.train.TrainModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One patching experiment (`actlab patch`): activation patching from a clean into a corrupted
 * input, and, when asked, attribution patching (its gradient estimate) with the correlation
 * between the two, plus the times they took.
 *
 * @param estimate the attribution estimate [site][column] of each patch's effect, or null
 */
public record PatchExperiment(LlamaModel model, int[] clean, int[] corrupt, ActivationPatching.Result result, double[][] estimate,
                              double patchSecs, double attrSecs, double copySecs) {
    /** Where to patch unless told: the residual stream entering each block and what attention and MLP add to it. */
    public static final String DEFAULT_SITES = "blocks.*.hook_resid_pre,blocks.*.hook_attn_out,blocks.*.hook_mlp_out";

    /** Patches every site in sites; with attribution, also estimates every patch from one backward pass. */
    public static PatchExperiment run(LlamaModel m, int[] clean, int[] corrupt, PatchMetric pm, List<String> sites, Positions mode,
                                      boolean attribution, Progress progress) {
        if (attribution) checkGradientSites(sites);
        long t0 = System.nanoTime();
        ActivationPatching.Result r = ActivationPatching.run(m, clean, corrupt, pm, sites, mode, progress::update);
        double patchSecs = (System.nanoTime() - t0) / 1e9;
        if (!attribution) return new PatchExperiment(m, clean, corrupt, r, null, patchSecs, 0, 0);
        long t1 = System.nanoTime();
        TrainModel tm;
        try { tm = TrainModel.from(m); }
        catch (IllegalArgumentException e) { throw new IllegalArgumentException("--attribution needs a model the training path can run: " + e.getMessage()); }
        double copySecs = (System.nanoTime() - t1) / 1e9;
        long t2 = System.nanoTime();
        Set<String> wanted = Set.copyOf(sites);
        int V = m.config().vocabSize(), T = corrupt.length;
        Map<String, float[]> grads = tm.siteGradients(corrupt, logits -> pm.gradient(logits, T, V), wanted::contains);
        ActivationCache cleanCache = ActivationPatching.cache(m, clean, sites), corruptCache = ActivationPatching.cache(m, corrupt, sites);
        double[][] estimate = AttributionPatching.estimate(cleanCache, corruptCache, grads, sites, T, mode);
        return new PatchExperiment(m, clean, corrupt, r, estimate, patchSecs, (System.nanoTime() - t2) / 1e9, copySecs);
    }

    /** Forward passes of activation patching: one per cell, plus the clean and corrupted runs. */
    public int runs() { return result.sites().size() * result.columns() + 2; }

    /** The sites TrainModel.siteGradients reports. */
    private static void checkGradientSites(List<String> sites) {
        Set<String> ok = Set.of("hook_embed", "hook_resid_pre", "hook_resid_mid", "hook_resid_post", "hook_attn_out", "hook_mlp_out",
                "attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_rot_q", "attn.hook_rot_k", "attn.hook_z",
                "mlp.hook_pre", "mlp.hook_pre_linear", "mlp.hook_post");
        for (String s : sites)
            if (!ok.contains(kind(s)))
                throw new IllegalArgumentException("--attribution has no gradient for " + s + "; it supports " + String.join(", ", new TreeSet<>(ok)));
    }

    /** blocks.3.hook_resid_pre -> hook_resid_pre. */
    static String kind(String site) { return site.startsWith("blocks.") ? site.substring(site.indexOf('.', 7) + 1) : site; }

    /** The tokens as the reports show them, space-separated. */
    public static String labels(Tokenizer tokenizer, int[] ids) {
        TokenText t = new TokenText(tokenizer);
        StringBuilder b = new StringBuilder();
        for (int id : ids) b.append(b.isEmpty() ? "" : " ").append(t.label(id));
        return b.toString();
    }

    /** A column per position: the clean token, and the corrupted one where it differs. */
    public List<String> columnLabels() {
        if (result.mode() == Positions.ALL) return List.of("all");
        TokenText t = new TokenText(model.tokenizer());
        List<String> out = new ArrayList<>();
        for (int p = 0; p < clean.length; p++)
            out.add(clean[p] == corrupt[p] ? t.label(clean[p]) : t.label(clean[p]) + "/" + t.label(corrupt[p]));
        return out;
    }

    /** Correlation of estimate with effect over every cell, and per site kind; null without attribution. */
    public Map<String, Object> correlation() {
        if (estimate == null) return null;
        Map<String, List<double[]>> byKind = new LinkedHashMap<>();
        List<double[]> all = new ArrayList<>();
        for (int s = 0; s < result.sites().size(); s++)
            for (int c = 0; c < result.columns(); c++) {
                double[] pair = {result.effect(s, c), estimate[s][c]};
                all.add(pair);
                byKind.computeIfAbsent(kind(result.sites().get(s)), k -> new ArrayList<>()).add(pair);
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

    /** What patch.json holds and `actlab patch --json` prints. */
    public Map<String, Object> json() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", model.source());
        j.put("metric", result.metric().spec());
        j.put("clean", Map.of("tokens", clean, "metric", result.clean()));
        j.put("corrupt", Map.of("tokens", corrupt, "metric", result.corrupt()));
        j.put("positions", result.mode().name().toLowerCase(Locale.ROOT));
        j.put("columns", columnLabels());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int s = 0; s < result.sites().size(); s++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("site", result.sites().get(s));
            double[] effect = new double[result.columns()], restored = new double[result.columns()];
            for (int c = 0; c < result.columns(); c++) { effect[c] = result.effect(s, c); restored[c] = result.restored(s, c); }
            row.put("patched_metric", result.patched()[s]);
            row.put("effect", effect);
            row.put("restored", restored);
            if (estimate != null) row.put("attribution_effect", estimate[s]);
            rows.add(row);
        }
        j.put("sites", rows);
        Map<String, Object> secs = new LinkedHashMap<>();
        secs.put("activation_patching", patchSecs);
        secs.put("activation_patching_runs", runs());
        if (estimate != null) {
            j.put("correlation", correlation());
            secs.put("attribution", attrSecs);
            secs.put("attribution_model_copy", copySecs);
        }
        j.put("seconds", secs);
        return j;
    }

    /** DIR/patch.json and DIR/patch.html. */
    public void write(Path dir) throws IOException {
        Map<String, Object> json = json();
        AtomicFile.writeString(dir.resolve("patch.json"), Json.write(json));
        AtomicFile.writeString(dir.resolve("patch.html"), PatchReport.html(this));
    }
}
