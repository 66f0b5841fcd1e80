package dev.actlab.cli;


import dev.actlab.io.AtomicFile;
import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.steer.ContrastivePairs;
import dev.actlab.steer.ProbeData;
import dev.actlab.steer.ProbeReport;
import dev.actlab.steer.ProbeEvaluation;
import dev.actlab.steer.ProbeFile;
import dev.actlab.steer.VectorExtraction;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        threads.apply();
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
        Map<String, Object> j = ProbeReport.json(source, d, r);
        Files.createDirectories(out);
        ProbeFile.fit(d, source, input.store != null ? "token" : position.trim().toLowerCase(Locale.ROOT), l2).write(out.resolve("probes.json"));
        AtomicFile.writeString(out.resolve("probe.json"), Json.write(j));
        AtomicFile.writeString(out.resolve("probe.html"), ProbeReport.html(source, d, r));
        PrintWriter w = spec.commandLine().getOut();
        if (json.enabled) { w.println(Json.write(j)); return 0; }
        w.printf(Locale.ROOT, "%d rows, classes %s (majority %.1f%%), %d-fold cross-validation%n", r.rows(), r.classes(), 100 * r.majorityShare(), r.folds());
        w.printf("%-28s %10s %10s %10s %10s%s%n", "site", "logistic", "AUROC", "mass-mean", "AUROC", control ? "   shuffled" : "");
        for (ProbeEvaluation.Site s : r.sites())
            w.printf(Locale.ROOT, "%-28s %9.1f%% %10.3f %9.1f%% %10.3f%s%n", s.site(), 100 * s.logistic().accuracy(), s.logistic().auroc(),
                    100 * s.massMean().accuracy(), s.massMean().auroc(), s.logisticShuffled() == null ? "" : String.format(Locale.ROOT, " %9.1f%%", 100 * s.logisticShuffled().accuracy()));
        w.println("wrote " + out.resolve("probe.json") + ", " + out.resolve("probe.html") + " and the probes trained on every row, " + out.resolve("probes.json"));
        return 0;
    }
}
