package dev.actlab.cli;

import dev.actlab.io.ProgressBar;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.prune.LowRankReport;
import dev.actlab.prune.LowRankSweep;
import java.nio.file.Path;
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

@Command(name = "lowrank-sweep", description = {
        "Low-rank compression at several rank ratios, plain and activation-whitened (see lowrank --help): each",
        "matrix is decomposed once per method and cut at every ratio; all models are evaluated against the",
        "dense model on the same windows. Prints perplexity, mean KLD and errors against the parameter count",
        "(as a factored store would hold them); --out DIR also writes sweep.json and sweep.html (the curves)."})
final class LowRankSweepCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--ratios", defaultValue = "0.9,0.75,0.5,0.3", description = "Rank ratios in (0, 1], comma-separated (default ${DEFAULT-VALUE}).") String ratios;
    @Option(names = "--whiten", defaultValue = "both", description = "no (plain SVD), yes (whitened), or both (default ${DEFAULT-VALUE}).") String whiten;
    @Option(names = "--calib", defaultValue = QuantTexts.BROWN, description = QuantTexts.CALIB_HELP) String calib;
    @Option(names = "--calib-tokens", description = "Calibration token ids instead of --calib text.") Path calibTokens;
    @Option(names = "--eval", defaultValue = QuantTexts.BROWN, description = QuantTexts.EVAL_HELP) String eval;
    @Option(names = "--eval-tokens", description = "Evaluation token ids instead of --eval text.") Path evalTokens;
    @Option(names = "--ctx", defaultValue = "256", description = "Tokens per window, BOS included (default ${DEFAULT-VALUE}).") int ctx;
    @Option(names = "--calib-windows", defaultValue = "64", description = "Calibration windows (default ${DEFAULT-VALUE}).") int calibWindows;
    @Option(names = "--eval-windows", defaultValue = "64", description = "Evaluation windows, evenly spaced; 0 = all (default ${DEFAULT-VALUE}).") int evalWindows;
    @Option(names = "--damp", defaultValue = "0.001", description = "Whitening damping, times the mean diagonal of X X^T (default ${DEFAULT-VALUE}).") double damp;
    @Option(names = "--out", description = "Report folder: sweep.json, sweep.html.") Path out;
    @Option(names = "--cache", description = "Where fetched corpora are kept (default ~/.cache/actlab).") Path cache;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        threads.apply();
        if (out != null) OutputPath.directory("--out", out);
        List<Double> rs = parseRatios(ratios);
        List<Boolean> methods = switch (whiten) {
            case "no" -> List.of(false);
            case "yes" -> List.of(true);
            case "both" -> List.of(false, true);
            default -> throw new IllegalArgumentException("--whiten must be no, yes or both, got '" + whiten + "'");
        };
        if (!(damp > 0)) throw new IllegalArgumentException("--damp must be > 0, got " + damp);
        LlamaModel m = model.decoder();
        EvalSetup s = EvalSetup.of(m, calib, calibTokens, eval, evalTokens, ctx, calibWindows, evalWindows, cache, true);
        long t0 = System.nanoTime();
        LowRankSweep.Table t = LowRankSweep.run(m, rs, methods, s.calibration, s.windows, damp, label -> new ProgressBar(label, "units"));
        double secs = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", m.source());
        j.put("protocol", s.protocol(m));
        j.put("damp", damp);
        j.put("seconds", secs);
        j.putAll(t.toJson());
        SweepOutput.write(spec.commandLine().getOut(), out, json.enabled, j, () -> LowRankReport.html(t, m.source(), s.protocolLine(m)),
                s.protocolLine(m) + "\n" + String.format("%.0f s%n", secs), t.text());
        return 0;
    }

    static List<Double> parseRatios(String spec) {
        List<Double> rs = Arrays.stream(spec.split(",")).map(String::trim).filter(x -> !x.isEmpty()).map(x -> {
            double r;
            try { r = Double.parseDouble(x); } catch (NumberFormatException e) { throw new IllegalArgumentException("--ratios: '" + x + "' is not a number"); }
            if (!(r > 0 && r <= 1)) throw new IllegalArgumentException("--ratios: rank ratio must be in (0, 1], got " + x);
            return r;
        }).toList();
        if (rs.isEmpty()) throw new IllegalArgumentException("--ratios names no ratio");
        return rs;
    }
}
