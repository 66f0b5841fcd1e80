package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.imatrix.ImatrixFile;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.quant.Imatrix;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "imatrix", description = {
        "Importance matrix for llama.cpp's importance-weighted quantizers, in llama-imatrix's legacy file format",
        "(llama-quantize --imatrix FILE reads it): for the input x of every q, k, v, o, gate, up and down",
        "projection (and of the unembedding when it is not the embedding), ncall x the mean over tokens of x_j^2",
        "per input column j, read through hooks. The tokens are cut into chunks of --ctx tokens from the start",
        "(a last partial chunk is dropped), each run from position 0. With --text, as llama-imatrix -f: the text",
        "tokenized with BOS, and each chunk's first token replaced by BOS when the model's tokenizer adds one.",
        "With --tokens-file, the ids exactly as given (no BOS added or replaced)."})
final class ImatrixCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;

    static final class Input {
        @Option(names = "--text", description = "UTF-8 text file (needs a model with a tokenizer).") Path text;
        @Option(names = "--tokens-file", description = "File of whitespace-separated token ids, used exactly as given.") Path tokensFile;
    }
    @ArgGroup(exclusive = true, multiplicity = "1") Input input;

    @Option(names = "--ctx", defaultValue = "512", description = "Chunk length in tokens (default ${DEFAULT-VALUE}, as llama-imatrix's -c; capped at the model's context).") int ctx;
    @Option(names = "--out", required = true, description = "Output file (llama.cpp's legacy .dat imatrix).") Path out;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        threads.apply();
        OutputPath.file("--out", out);
        LlamaModel m = model.decoder();
        if (ctx < 1) throw new IllegalArgumentException("--ctx must be at least 1, not " + ctx);
        int chunk = Math.min(ctx, m.config().contextLength());
        int[] tokens;
        String dataset;
        if (input.tokensFile != null) {
            tokens = TextInput.tokenIds(input.tokensFile);
            dataset = input.tokensFile.toString();
        } else {
            if (m.tokenizer() == null)
                throw new IllegalArgumentException(m.source() + " has no tokenizer (llama2.c checkpoints carry none): use --tokens-file or --tokenizer");
            tokens = m.tokenizer().encode(TextInput.utf8(input.text), true);
            int bos = m.tokenizer().bosId();
            if (bos >= 0) for (int s = 0; s < tokens.length; s += chunk) tokens[s] = bos;
            dataset = input.text.toString();
        }
        ProgressBar bar = new ProgressBar("imatrix", "chunks");
        ImatrixFile f = Imatrix.compute(m, tokens, chunk, dataset, bar::update);
        f.write(out);

        PrintWriter o = spec.commandLine().getOut();
        if (json.enabled) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", model.path().toString());
            j.put("input", dataset);
            j.put("tokens", tokens.length);
            j.put("ctx", chunk);
            j.put("chunks", f.chunks());
            j.put("out", out.toString());
            List<Map<String, Object>> entries = new ArrayList<>();
            for (ImatrixFile.Entry e : f.entries()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("tensor", e.name());
                row.put("calls", e.calls());
                row.put("columns", e.values().length);
                row.put("mean_importance", mean(f.importance(e.name())));
                entries.add(row);
            }
            j.put("entries", entries);
            o.println(Json.write(j));
        } else {
            o.printf("%s: %d tokens, %d chunks of %d (%d tokens dropped), %d matrices%n", input.tokensFile != null ? "token ids" : "text",
                    tokens.length, f.chunks(), chunk, tokens.length - f.chunks() * chunk, f.entries().size());
            for (ImatrixFile.Entry e : f.entries())
                o.printf("  %-28s %5d columns  mean x^2 %.6g%n", e.name(), e.values().length, mean(f.importance(e.name())));
            o.println("wrote " + out + " (llama.cpp legacy imatrix: llama-quantize --imatrix " + out + " ...)");
        }
        return 0;
    }

    private static double mean(float[] v) {
        double s = 0;
        for (float x : v) s += x;
        return s / v.length;
    }
}
