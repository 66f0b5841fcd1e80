package dev.actlab.cli;

import static dev.actlab.io.chart.Svg.esc;

import dev.actlab.inspect.HtmlReport;
import dev.actlab.io.AtomicFile;
import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;
import dev.actlab.io.chart.LineChart;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.steer.ContrastivePairs;
import dev.actlab.steer.ProbeData;
import dev.actlab.steer.ProbeEvaluation;
import dev.actlab.steer.ProbeFile;
import dev.actlab.steer.VectorExtraction;
import dev.actlab.tensor.Parallel;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "train", mixinStandardHelpOptions = true, description = {"Per site: a multinomial logistic-regression probe (standardised features, L2) and a mass-mean probe (nearest class mean), k-fold cross-validated (stratified, seeded; a contrastive pair's two texts share a fold); accuracy and AUROC of the held-out predictions.",
        "Rows: one per text (--data label<TAB>text, or --pairs: positive/negative) at its last token or mean, or one per captured token (--store DIR from actlab capture, --labels: one label per row, \"_\" to leave a row out).",
        "Writes DIR/probe.json, DIR/probe.html (accuracy and AUROC against layer) and DIR/probes.json (the probes trained on every row, for probe apply)."})
final class ProbeTrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;

    static final class Input {
        @Option(names = "--data", description = "TSV of label<TAB>text, one text per line.") Path data;
        @Option(names = "--pairs", description = "Contrastive pairs (TSV or JSONL, as steer extract reads): label positive or negative.") Path pairs;
        @ArgGroup(exclusive = false) Store store;
    }
    static final class Store {
        @Option(names = "--store", required = true, description = "Activation store written by actlab capture.") Path dir;
        @Option(names = "--labels", required = true, description = "One label per captured row (token), \"_\" to leave it out.") Path labels;
    }
    @ArgGroup(exclusive = true, multiplicity = "1") Input input;

    @Option(names = "--site", defaultValue = "blocks.*.hook_resid_post", description = "Sites (name or glob; default ${DEFAULT-VALUE}).") String site;
    @Option(names = "--position", defaultValue = "last", description = "For texts: last (token) or mean (over tokens) (default ${DEFAULT-VALUE}).") String position;
    @Option(names = "--folds", defaultValue = "5", description = "Cross-validation folds (default ${DEFAULT-VALUE}).") int folds;
    @Option(names = "--l2", defaultValue = "1e-3", description = "L2 penalty of the logistic probe on standardised features (default ${DEFAULT-VALUE}).") double l2;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the folds (default ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--control", description = "Also train the logistic probe on shuffled labels (a control that should sit at chance).") boolean control;
    @Option(names = "--out", required = true, description = "Directory for probe.json and probe.html.") Path out;
    @Option(names = "--threads") Integer threads;
    @Option(names = "--json") boolean json;

    @Override public Integer call() throws Exception {
        if (threads != null) Parallel.setDefaultThreads(threads);
        OutputPath.directory("--out", out);
        ProbeData d;
        String source;
        if (input.store != null) {
            d = ProbeData.fromStore(input.store.dir, input.store.labels, site);
            source = d.source();
        } else {
            HookedModel m = model.load();
            ProbeData.Texts t = input.data != null ? ProbeData.readTexts(input.data) : ProbeData.fromPairs(ContrastivePairs.read(input.pairs));
            d = ProbeData.fromTexts(m, t, site, SteerExtractCommand.parse(VectorExtraction.Position.class, position, "--position"), new ProgressBar("activations", "texts"));
            source = m.source();
        }
        ProbeEvaluation.Result r = ProbeEvaluation.run(d.sites(), d.layers(), d.acts(), d.labels(), d.groups(), d.classes(), folds, l2, seed, control, new ProgressBar("probes", "sites"));
        Map<String, Object> j = json(source, d, r);
        Files.createDirectories(out);
        ProbeFile.fit(d, source, input.store != null ? "token" : position.trim().toLowerCase(Locale.ROOT), l2).write(out.resolve("probes.json"));
        AtomicFile.writeString(out.resolve("probe.json"), Json.write(j));
        AtomicFile.writeString(out.resolve("probe.html"), html(source, d, r));
        PrintWriter w = spec.commandLine().getOut();
        if (json) { w.println(Json.write(j)); return 0; }
        w.printf(Locale.ROOT, "%d rows, classes %s (majority %.1f%%), %d-fold cross-validation%n", r.rows(), r.classes(), 100 * r.majorityShare(), r.folds());
        w.printf("%-28s %10s %10s %10s %10s%s%n", "site", "logistic", "AUROC", "mass-mean", "AUROC", control ? "   shuffled" : "");
        for (ProbeEvaluation.Site s : r.sites())
            w.printf(Locale.ROOT, "%-28s %9.1f%% %10.3f %9.1f%% %10.3f%s%n", s.site(), 100 * s.logistic().accuracy(), s.logistic().auroc(),
                    100 * s.massMean().accuracy(), s.massMean().auroc(), s.logisticShuffled() == null ? "" : String.format(Locale.ROOT, " %9.1f%%", 100 * s.logisticShuffled().accuracy()));
        w.println("wrote " + out.resolve("probe.json") + ", " + out.resolve("probe.html") + " and the probes trained on every row, " + out.resolve("probes.json"));
        return 0;
    }

    static Map<String, Object> json(String source, ProbeData d, ProbeEvaluation.Result r) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", source);
        j.put("data", d.source());
        j.put("rows", r.rows());
        j.put("classes", r.classes());
        j.put("majority_share", r.majorityShare());
        j.put("folds", r.folds());
        j.put("folds_keep_pairs_together", r.grouped());
        j.put("l2", r.l2());
        j.put("seed", r.seed());
        List<Map<String, Object>> sites = new ArrayList<>();
        for (ProbeEvaluation.Site s : r.sites()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("site", s.site());
            e.put("layer", s.layer());
            e.put("logistic_accuracy", s.logistic().accuracy());
            e.put("logistic_auroc", s.logistic().auroc());
            e.put("mass_mean_accuracy", s.massMean().accuracy());
            e.put("mass_mean_auroc", s.massMean().auroc());
            if (s.logisticShuffled() != null) {
                e.put("shuffled_labels_accuracy", s.logisticShuffled().accuracy());
                e.put("shuffled_labels_auroc", s.logisticShuffled().auroc());
            }
            sites.add(e);
        }
        j.put("sites", sites);
        return j;
    }

    static String html(String source, ProbeData d, ProbeEvaluation.Result r) {
        List<String> names = new ArrayList<>();
        int n = r.sites().size();
        double[] la = new double[n], ma = new double[n], lu = new double[n], mu = new double[n], sh = new double[n], chance = new double[n];
        boolean shuffled = n > 0 && r.sites().get(0).logisticShuffled() != null;
        for (int i = 0; i < n; i++) {
            ProbeEvaluation.Site s = r.sites().get(i);
            names.add(s.layer() >= 0 ? Integer.toString(s.layer()) : s.site());
            la[i] = s.logistic().accuracy(); ma[i] = s.massMean().accuracy();
            lu[i] = s.logistic().auroc(); mu[i] = s.massMean().auroc();
            sh[i] = shuffled ? s.logisticShuffled().accuracy() : Double.NaN;
            chance[i] = r.majorityShare();
        }
        StringBuilder h = new StringBuilder(1 << 13);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>actlab probe \u2013 ").append(esc(source))
                .append("</title>\n<style>").append(HtmlReport.css()).append("</style></head><body>\n<h1>actlab probe</h1>\n<div class=\"meta\">model <code>")
                .append(esc(source)).append("</code> \u00b7 data <code>").append(esc(d.source())).append("</code> \u00b7 ").append(r.rows()).append(" rows \u00b7 classes ")
                .append(esc(r.classes().toString())).append(" \u00b7 ").append(r.folds()).append("-fold cross-validation, seed ").append(r.seed()).append("</div>\n");
        h.append("<p class=\"rule\">Held-out accuracy and AUROC per site. Logistic: multinomial logistic regression on standardised features (L2 ")
                .append(esc(Double.toString(r.l2()))).append("). Mass-mean: the nearest class mean (Marks and Tegmark 2023). Chance: the majority class's share.</p>\n");
        LineChart acc = new LineChart("held-out accuracy against layer", "layer", "accuracy", names, false).add("logistic", la).add("mass-mean", ma).add("majority class", chance);
        if (shuffled) acc.add("logistic, shuffled labels", sh);
        h.append(acc.svg(900, 380));
        h.append(new LineChart("held-out AUROC against layer", "layer", "AUROC", names, false).add("logistic", lu).add("mass-mean", mu).svg(900, 380));
        return h.append("</body></html>\n").toString();
    }
}
