package dev.actlab.cli;

import dev.actlab.io.ProgressBar;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.prune.PruneSweep;
import dev.actlab.prune.PruneSweepReport;
import dev.actlab.prune.PruningMethod;
import dev.actlab.prune.PruningPattern;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "prune-sweep", description = {
        "Every pruning method at every sparsity: prunes the decoder once per",
        "(method, level) and per N:M pattern, evaluates all of them against the",
        "dense model on the same windows (the dense model runs once per window),",
        "and prints perplexity and mean-KLD tables; --out DIR also writes",
        "sweep.json and sweep.html (perplexity against sparsity per method).",
        "Pruned: the seven linear layers of every block, within each output row",
        "(see prune --help for the methods)."})
final class PruneSweepCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--methods", defaultValue = "magnitude,wanda,sparsegpt", description = "Comma-separated: magnitude, wanda, sparsegpt, structured (default ${DEFAULT-VALUE}).") String methods;
    @Option(names = "--levels", defaultValue = "0.3,0.5,0.6", description = "Unstructured sparsities, comma-separated, each in [0, 1) (default ${DEFAULT-VALUE}).") String levels;
    @Option(names = "--nm", description = "N:M patterns too, comma-separated (e.g. 2:4,4:8).") String nm;
    @Option(names = "--calib", defaultValue = QuantTexts.BROWN, description = QuantTexts.CALIB_HELP) String calib;
    @Option(names = "--calib-tokens", description = "Calibration token ids instead of --calib text.") Path calibTokens;
    @Option(names = "--eval", defaultValue = QuantTexts.BROWN, description = QuantTexts.EVAL_HELP) String eval;
    @Option(names = "--eval-tokens", description = "Evaluation token ids instead of --eval text.") Path evalTokens;
    @Option(names = "--ctx", defaultValue = "256", description = "Tokens per window, BOS included (default ${DEFAULT-VALUE}).") int ctx;
    @Option(names = "--calib-windows", defaultValue = "64", description = "Calibration windows (default ${DEFAULT-VALUE}).") int calibWindows;
    @Option(names = "--eval-windows", defaultValue = "64", description = "Evaluation windows, evenly spaced; 0 = all (default ${DEFAULT-VALUE}).") int evalWindows;
    @Option(names = "--out", description = "Report folder: sweep.json, sweep.html.") Path out;
    @Option(names = "--cache", description = "Where fetched corpora are kept (default ~/.cache/actlab).") Path cache;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        threads.apply();
        if (out != null) OutputPath.directory("--out", out);
        List<PruningMethod> ms = new ArrayList<>();
        for (String s : list(methods, "--methods")) ms.add(PruningMethod.parse(s));
        List<Double> ls = new ArrayList<>();
        for (String s : list(levels, "--levels")) {
            try { ls.add(Double.parseDouble(s)); } catch (NumberFormatException e) { throw new IllegalArgumentException("--levels: '" + s + "' is not a number"); }
        }
        List<String> nms = nm == null ? List.of() : list(nm, "--nm");
        List<PruningPattern> patterns = PruneSweep.patterns(ls, nms);
        if (!nms.isEmpty() && ms.contains(PruningMethod.STRUCTURED))
            throw new IllegalArgumentException("--nm does not apply to structured (whole channels and heads): sweep it without --nm");
        LlamaModel m = model.decoder();
        for (PruningPattern p : patterns) p.check(m.config());
        EvalSetup s = EvalSetup.of(m, calib, calibTokens, eval, evalTokens, ctx, calibWindows, evalWindows, cache, true);
        long t0 = System.nanoTime();
        PruneSweep.Table t = PruneSweep.run(m, ms, patterns, s.calibration, s.windows, label -> new ProgressBar(label, "units"));
        double secs = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", m.source());
        j.put("protocol", s.protocol(m));
        j.put("seconds", secs);
        j.putAll(t.toJson());
        SweepOutput.write(spec.commandLine().getOut(), out, json.enabled, j, () -> PruneSweepReport.html(t, m.source(), s.protocolLine(m)),
                s.protocolLine(m) + "\n" + String.format("pruned: the blocks' seven projections (unstructured and N:M within each output row); %.0f s%n%n", secs), t.text());
        return 0;
    }

    private static List<String> list(String spec, String flag) {
        List<String> l = Arrays.stream(spec.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
        if (l.isEmpty()) throw new IllegalArgumentException(flag + " names nothing");
        return l;
    }
}
