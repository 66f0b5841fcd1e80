package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.eval.BitsPerByte;
import dev.actlab.model.llama.LlamaModel;
import java.io.PrintWriter;
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

@Command(name = "bpb", description = {"Bits per byte of texts: the quality measure that compares models whatever their tokenizers.",
        "Each text is cut into windows of --ctx tokens, each read after BOS, and every token is scored once;",
        "bits/byte = total negative log-likelihood / ln 2 / UTF-8 bytes (as `actlab train` scores its held-out split)."})
final class BpbCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--text", required = true, description = "UTF-8 text file; repeat for several.") List<Path> texts;
    @Option(names = "--ctx", defaultValue = "256", description = "Window length in tokens (default ${DEFAULT-VALUE}; 0 = the model's context).") int ctx;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        threads.apply();
        if (ctx < 0) throw new IllegalArgumentException("--ctx must be >= 0 (0 = the model's context), not " + ctx);
        LlamaModel m = model.decoder();
        int window = ctx == 0 ? m.config().contextLength() : ctx;
        List<Map<String, Object>> rows = new ArrayList<>();
        PrintWriter out = spec.commandLine().getOut();
        if (!json.enabled) out.printf("%-40s %9s %9s %10s %9s%n", "text", "bytes", "tokens", "bits/byte", "ppl/tok");
        for (Path text : texts) {
            ProgressBar bar = new ProgressBar("bpb " + text.getFileName(), "tokens");
            BitsPerByte r = BitsPerByte.of(m, TextInput.utf8(text), window, bar::update);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("text", text.toString());
            row.put("bytes", r.bytes());
            row.put("tokens", r.tokens());
            row.put("windows", r.windows());
            row.put("bits_per_byte", r.bitsPerByte());
            row.put("mean_nll", r.meanNll());
            row.put("perplexity", r.perplexity());
            rows.add(row);
            if (!json.enabled) out.printf("%-40s %9d %9d %10.4f %9.2f%n", text.getFileName(), r.bytes(), r.tokens(), r.bitsPerByte(), r.perplexity());
        }
        if (json.enabled) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", model.path().toString());
            j.put("ctx", window);
            j.put("texts", rows);
            out.println(Json.write(j));
        } else out.printf("model %s, windows of %d tokens after BOS%n", model.path(), window);
        return 0;
    }
}
