package dev.actlab.cli;

import dev.actlab.io.Json;

import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.load.ModelRef;
import dev.actlab.model.bert.BertModel;
import dev.actlab.io.Utf8Lines;
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

@Command(name = "embed", resourceBundle = "dev.actlab.cli.EmbedCommand$Help", description = {"Sentence embeddings (mean pooled, L2-normalised) with a BERT encoder.",
        "A text longer than the limit is cut at its end, as Hugging Face tokenizers and LangChain4j cut it: by default at the",
        "tokenizer.json's truncation.max_length (128 tokens for all-MiniLM-L6-v2), else at the model's positions; stderr and",
        "JSON (tokens_dropped) say how many tokens a text lost."})
final class EmbedCommand implements Callable<Integer> {
    /** What the shared options say here: --model is an encoder, minilm unless given. */
    public static final class Help extends OptionHelp {
        public Help() {
            super("model", "minilm (built-in all-MiniLM-L6-v2), a BERT .onnx file, or a Hugging Face BERT directory (config.json, model.safetensors, tokenizer.json).",
                    "json", "Full vectors as JSON.");
        }
    }

    static final int BATCH = 32;

    @Mixin ModelOption model;
    @ArgGroup(exclusive = true, multiplicity = "1") Input input;
    @Mixin JsonOption json;
    @Mixin ThreadsOption threads;
    @Spec CommandSpec spec;
    @Option(names = "--quant", description = "Run the encoder in W8A8: " + dev.actlab.quant.EncoderW8A8.Spec.GRAMMAR + " (default recipe smooth(0.6)+fma8: int8 weights in memory; +fma widens them to float at load):"
            + " int8 weights per row, int8 activations per token (dynamic), SmoothQuant calibrated on built-in sentences; see `bench --quant`.") String quant;
    @Option(names = "--max-tokens", description = "Longest input, [CLS] and [SEP] included (default: the tokenizer.json's truncation, else the model's positions).") Integer maxTokens;

    static final class Input {
        @Option(names = "--text", description = "A text to embed (repeatable).") List<String> texts;
        @Option(names = "--file", description = "UTF-8 file, one text per line.") Path file;
    }


    @Override public Integer call() throws Exception {
        threads.apply();
        model.refuseTokenizer("an encoder reads its vocabulary from its own files");
        List<String> texts = input.texts != null ? input.texts : Utf8Lines.read(input.file);
        if (texts.isEmpty()) throw new IllegalArgumentException(input.file + ": no lines to embed");
        // a file keeps its empty lines (one vector per line, so that lines and vectors stay aligned), unless all are empty
        if (input.file != null && texts.stream().allMatch(String::isBlank))
            throw new IllegalArgumentException(input.file + ": every line is empty: no text to embed");
        if (input.texts != null)
            for (int i = 0; i < texts.size(); i++)
                if (texts.get(i).isBlank()) throw new IllegalArgumentException("--text number " + (i + 1) + " is empty: give some text (an empty text would embed [CLS] [SEP] alone)");
        BertModel m = ModelRef.encoder(model.model == null ? ModelLoader.MINILM : model.model);
        if (quant != null) m = dev.actlab.quant.EncoderW8A8.quantize(m, dev.actlab.quant.EncoderW8A8.Spec.parse(quant));
        int positions = m.config().maxPositions();
        if (maxTokens != null && (maxTokens < 2 || maxTokens > positions))
            throw new IllegalArgumentException("--max-tokens " + maxTokens + " is outside [2, " + positions + "] (the model has " + positions + " positions)");
        if (maxTokens != null) m.tokenizer().withMaxLength(maxTokens);
        int limit = m.tokenizer().maxLength();
        List<float[]> vectors = new ArrayList<>();
        List<Integer> tokenCounts = new ArrayList<>(), dropped = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int from = 0; from < texts.size(); from += BATCH) {
            List<String> chunk = texts.subList(from, Math.min(texts.size(), from + BATCH));
            int[][] ids = new int[chunk.size()][];
            for (int i = 0; i < ids.length; i++) {
                final int line = from + i + 1;
                var enc = m.tokenizer().withWarnings(w -> {}).encodeCounted(chunk.get(i), true);
                if (enc.dropped() > 0)
                    spec.commandLine().getErr().printf("text %d: truncated to %d tokens, %d dropped (--max-tokens changes the limit)%n", line, limit, enc.dropped());
                ids[i] = enc.ids();
                tokenCounts.add(ids[i].length);
                dropped.add(enc.dropped());
            }
            var out = m.forward(ids, null, dev.actlab.model.hook.Hooks.none());
            for (int i = 0; i < ids.length; i++) vectors.add(out.meanPooledNormalized(i));
            if (texts.size() > BATCH) {
                double s = (System.nanoTime() - t0) / 1e9;
                int done = Math.min(texts.size(), from + BATCH);
                System.err.printf("\rembedded %d/%d texts (%.0f texts/s, %.0f s left)", done, texts.size(), done / s, (texts.size() - done) / (done / s));
            }
        }
        if (texts.size() > BATCH) System.err.println();
        m.tokenizer().withWarnings(System.err::println);
        java.io.PrintWriter stdout = spec.commandLine().getOut();
        if (json.enabled) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("text", texts.get(i)); r.put("tokens", tokenCounts.get(i)); r.put("tokens_dropped", dropped.get(i)); r.put("embedding", vectors.get(i));
                rows.add(r);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", m.source()); out.put("dim", m.dModel()); out.put("pooling", "mean, L2-normalised");
            out.put("max_tokens", limit); out.put("truncated_texts", dropped.stream().filter(d -> d > 0).count()); out.put("embeddings", rows);
            stdout.println(Json.write(out));
        } else {
            stdout.printf("%s: %d text(s), %d dimensions (mean pooled, L2-normalised)%n", m.source(), texts.size(), m.dModel());
            stdout.printf("%-4s %-6s %-40s %s%n", "#", "tokens", "text", "embedding[0:6]");
            for (int i = 0; i < texts.size(); i++) {
                StringBuilder v = new StringBuilder();
                for (int j = 0; j < Math.min(6, vectors.get(i).length); j++) v.append(String.format("%+.4f ", vectors.get(i)[j]));
                stdout.printf("%-4d %-6d %-40s %s...%n", i + 1, tokenCounts.get(i), DemoCommand.clip(texts.get(i), 40), v);
            }
        }
        stdout.flush();
        return 0;
    }
}
