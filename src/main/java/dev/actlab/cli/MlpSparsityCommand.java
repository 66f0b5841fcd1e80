package dev.actlab.cli;

import dev.actlab.io.AtomicFile;
import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import dev.actlab.sparsity.IntrinsicSparsity;
import dev.actlab.sparsity.IntrinsicSparsityReport;
import dev.actlab.sparsity.SparsityQuality;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "mlp-sparsity", description = {
        "Intrinsic sparsity of the MLP activations h (blocks.L.mlp.hook_post, the down projection's input) on a text:",
        "the fraction of exact zeros per layer, and PPL-p% sparsity (Sparsing Law, Luo et al. 2024): every layer zeroes",
        "|h| at or below its own q-quantile on the text, one level q for all layers; the largest q whose perplexity",
        "rises by at most --ppl-rise (bisection over q in [0, 1], --steps halvings) gives the measured sparsity.",
        "Several --model: one line each, and with --out a side-by-side page (DIR/sparsity.html) and DIR/sparsity.json."})
final class MlpSparsityCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--model", description = "Decoder (repeatable; default: actlab's own " + ModelRef.DEFAULT_MODEL + ").") List<String> models;
    @Option(names = "--text", description = "Text to measure on (default: the built-in evaluation text).") Path text;
    @Option(names = "--max-tokens", defaultValue = "8192", description = "Tokens of the text at most (default ${DEFAULT-VALUE}).") int maxTokens;
    @Option(names = "--ctx", defaultValue = "256", description = "Window length (default ${DEFAULT-VALUE}, at most the model's context).") int ctx;
    @Option(names = "--ppl-rise", defaultValue = "0.01", description = "Allowed relative perplexity rise: 0.01 is PPL-1%% (default ${DEFAULT-VALUE}).") double pplRise;
    @Option(names = "--steps", defaultValue = "10", description = "Bisection steps on the level (default ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--out", description = "Directory for sparsity.json and sparsity.html.") Path out;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        threads.apply();
        if (out != null) OutputPath.directory("--out", out);
        PrintWriter pw = spec.commandLine().getOut();
        List<String> specs = models == null || models.isEmpty() ? List.of(ModelRef.DEFAULT_MODEL) : models;
        List<IntrinsicSparsity.Result> results = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (String s : specs) {
            LlamaModel m = ModelRef.decoder(s);
            int[] tokens = SparsityQuality.evalTokens(m, text, maxTokens);
            IntrinsicSparsity.Result r = IntrinsicSparsity.run(m, tokens, ctx, pplRise, steps, new ProgressBar("sparsity", "passes"));
            results.add(r);
            labels.add(label(s));
            if (!json.enabled) pw.println(r.text());
        }
        Map<String, Object> j = new LinkedHashMap<>();
        List<Map<String, Object>> list = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("label", labels.get(i));
            one.putAll(results.get(i).toJson());
            list.add(one);
        }
        j.put("text", text == null ? "built-in evaluation text" : text.toString());
        j.put("models", list);
        if (out != null) {
            Files.createDirectories(out);
            AtomicFile.writeString(out.resolve("sparsity.json"), Json.write(j));
            AtomicFile.writeString(out.resolve("sparsity.html"), IntrinsicSparsityReport.html(labels, results));
            if (!json.enabled) pw.println("wrote " + out.resolve("sparsity.json") + ", " + out.resolve("sparsity.html"));
        }
        if (json.enabled) pw.println(Json.write(j));
        pw.flush();
        return 0;
    }

    /** A run's directory name for DIR/model.gguf, else the file name. */
    private static String label(String spec) {
        Path p = Path.of(spec);
        String f = p.getFileName() == null ? spec : p.getFileName().toString();
        return f.equals("model.gguf") && p.getParent() != null && p.getParent().getFileName() != null ? p.getParent().getFileName().toString() : f;
    }
}
