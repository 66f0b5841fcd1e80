package dev.actlab.cli;

import dev.actlab.io.ProgressBar;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.quant.QuantSweep;
import dev.actlab.quant.SweepReport;
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

@Command(name = "quantize-sweep", description = {
        "Every method at every bit width: quantizes the decoder once per (method, setting), evaluates all of them",
        "against the float model on the same windows (the float model runs once per window), and prints perplexity",
        "and mean KLD tables; --out DIR also writes sweep.json and sweep.html (charts against bits).",
        "Methods are recipe templates (see quantize --help) with {w} and {a} for the weight and activation",
        "arguments, e.g. \"hadamard+gptq({w},{a})\"; defaults: " + "rtn, clip, smoothquant, awq, gptq, hadamard, hadamard+gptq."})
final class QuantizeSweepCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--methods", description = "NAME=TEMPLATE pairs separated by ';' (default: the seven above).") String methods;
    @Option(names = "--bits", defaultValue = "W8A8,W4A8,W4A4,W4A16", description = "Settings WxAy, comma-separated; 16 = float (default ${DEFAULT-VALUE}).") String bits;
    @Option(names = "--group", defaultValue = "0", description = "Weight group size for every method (default 0: one scale per output channel).") int group;
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
        if (group < 0) throw new IllegalArgumentException("--group must be >= 0, got " + group);
        Map<String, String> ms = parseMethods(methods);
        List<String> settings = Arrays.stream(bits.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (settings.isEmpty()) throw new IllegalArgumentException("--bits names no setting");
        for (String t : ms.values()) for (String s : settings) dev.actlab.quant.Recipe.parse(QuantSweep.recipe(t, s, group));   // every recipe parses before any work
        LlamaModel m = model.decoder();
        EvalSetup s = EvalSetup.of(m, calib, calibTokens, eval, evalTokens, ctx, calibWindows, evalWindows, cache, true);
        long t0 = System.nanoTime();
        QuantSweep.Table t = QuantSweep.run(m, ms, settings, group, s.calibration, s.windows, label -> new ProgressBar(label, "units"));
        double secs = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", m.source());
        j.put("protocol", s.protocol(m));
        j.put("weight_group", group);
        j.put("seconds", secs);
        j.putAll(t.toJson());
        SweepOutput.write(spec.commandLine().getOut(), out, json.enabled, j, () -> SweepReport.html(t, m.source(), s.protocolLine(m)),
                s.protocolLine(m) + "\n" + String.format("weights %s, activations per token; %.0f s%n%n", group > 0 ? "in groups of " + group : "per output channel", secs), t.text());
        return 0;
    }

    static Map<String, String> parseMethods(String spec) {
        if (spec == null) return QuantSweep.METHODS;
        Map<String, String> m = new LinkedHashMap<>();
        for (String part : spec.split(";")) {
            if (part.isBlank()) continue;
            int eq = part.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--methods: '" + part.trim() + "' is not NAME=TEMPLATE");
            String name = part.substring(0, eq).trim(), template = part.substring(eq + 1).trim();
            if (m.put(name, template) != null) throw new IllegalArgumentException("--methods: " + name + " is given twice");
        }
        if (m.isEmpty()) throw new IllegalArgumentException("--methods names no method");
        return m;
    }
}
