package dev.actlab.cli;

import dev.actlab.io.ProgressBar;
import dev.actlab.model.eval.PairedPerplexity;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.sparsity.CalibrationText;
import dev.actlab.sparsity.SparsityQuality;
import dev.actlab.sparsity.SparsitySweep;
import dev.actlab.sparsity.SparsitySweepReport;
import dev.actlab.sparsity.Thresholds;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "sparsity-sweep", description = {
        "Every sparsity method at every level: calibrates each method once on --calib text, cuts thresholds for each level,",
        "scores every sparse model against the dense one on the same evaluation windows (perplexity and KL divergence, the",
        "statistics of ppl --kl-base, with the sparsity measured on that text), and with --speed times decode against dense,",
        "alternating rounds. --out DIR writes sweep.json and sweep.html (charts against sparsity). See sparsify --help for the methods."})
final class SparsitySweepCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--methods", defaultValue = "teal,cats,wina,chess", description = "Comma-separated methods (default ${DEFAULT-VALUE}).") String methods;
    @Option(names = "--levels", defaultValue = "0.25,0.4,0.5,0.65", split = ",", description = "Target sparsities (default ${DEFAULT-VALUE}).") double[] levels;
    @Option(names = "--allocation", defaultValue = "uniform", description = "uniform or greedy (default ${DEFAULT-VALUE}).") String allocation;
    @Option(names = "--calib", description = "Calibration text (default: built-in English text; random ids for a model without a tokenizer).") Path calib;
    @Option(names = "--calib-tokens", defaultValue = "2048", description = "Calibration tokens at most (default ${DEFAULT-VALUE}).") int calibTokens;
    @Option(names = "--eval", description = "Evaluation text (default: a built-in text disjoint from the calibration text).") Path eval;
    @Option(names = "--ctx", defaultValue = "256", description = "Tokens per evaluation window, BOS included (default ${DEFAULT-VALUE}).") int ctx;
    @Option(names = "--no-quality", description = "Skip perplexity / KLD (e.g. on random weights).") boolean noQuality;
    @Option(names = "--speed", description = "Also time decode, dense and sparse alternating, at every cell.") boolean speed;
    @Option(names = "--rounds", defaultValue = "3", description = "--speed rounds per cell (default ${DEFAULT-VALUE}).") int rounds;
    @Option(names = "--prompt-tokens", defaultValue = "16", description = "--speed prompt tokens (default ${DEFAULT-VALUE}).") int promptTokens;
    @Option(names = "--gen-tokens", defaultValue = "64", description = "--speed decoded tokens per round (default ${DEFAULT-VALUE}).") int genTokens;
    @Option(names = "--out", description = "Report folder: sweep.json, sweep.html.") Path out;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        threads.apply();
        if (out != null) OutputPath.directory("--out", out);
        List<String> ms = Arrays.stream(methods.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        for (String m : ms) if (!Thresholds.METHODS.contains(m)) throw new IllegalArgumentException("--methods: \"" + m + "\" is not one of " + String.join(", ", Thresholds.METHODS));
        if (ms.isEmpty()) throw new IllegalArgumentException("--methods names no method");
        if (!allocation.equals("uniform") && !allocation.equals("greedy")) throw new IllegalArgumentException("--allocation must be uniform or greedy, got " + allocation);
        if (noQuality && !speed) throw new IllegalArgumentException("--no-quality without --speed leaves nothing to measure");
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
        LlamaModel m = model.decoder();
        CalibrationText text = CalibrationText.of(m, calib, calibTokens);
        int window = Math.min(ctx, m.config().contextLength());
        int[][] windows = noQuality ? null : windows(m, window);
        int p = Math.min(promptTokens, m.config().contextLength() / 4), g = Math.min(genTokens, m.config().contextLength() - p);
        long t0 = System.nanoTime();
        SparsitySweep.Table t = SparsitySweep.run(m, ms, levels, allocation, text, windows, speed, p, g, rounds, label -> new ProgressBar(label, "units"));
        double secs = (System.nanoTime() - t0) / 1e9;
        String protocol = String.format(Locale.ROOT, "calibration %d tokens (%s)%s%s", text.tokens().length, text.source(),
                windows == null ? "" : String.format(Locale.ROOT, "; evaluation %d windows of <= %d tokens (%s)", windows.length, window, eval == null ? "built-in" : eval),
                speed ? String.format(Locale.ROOT, "; decode %d tokens after %d, %d rounds, %d threads", g, p, rounds, m.parallel().threads()) : "");
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", m.source());
        j.put("protocol", protocol);
        j.put("seconds", secs);
        j.putAll(t.toJson());
        SweepOutput.write(spec.commandLine().getOut(), out, json.enabled, j, () -> SparsitySweepReport.html(t, m.source(), protocol),
                String.format("%s; allocation %s; %.0f s%n%n", protocol, allocation, secs), t.text());
        return 0;
    }

    /** Evaluation windows, each starting with BOS when the model has a tokenizer. */
    private int[][] windows(LlamaModel m, int window) throws Exception {
        int[] ev = SparsityQuality.evalTokens(m, eval, 1 << 18);
        int bos = m.tokenizer() == null ? -1 : m.tokenizer().bosId();
        if (bos >= 0 && ev.length > 0 && ev[0] == bos) ev = Arrays.copyOfRange(ev, 1, ev.length);
        return PairedPerplexity.windows(ev, bos, window, 0);
    }
}
