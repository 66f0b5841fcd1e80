package dev.actlab.cli;

import dev.actlab.io.ProgressBar;
import dev.actlab.model.eval.PairedPerplexity;
import dev.actlab.model.eval.QuantizationStats;
import dev.actlab.model.gguf.GgufLlamaLoader;
import dev.actlab.model.gguf.LlamaQuantizeFile;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import dev.actlab.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Q4_K file of the default decoder, as `llama-quantize MODEL OUT Q4_K` writes it (the same bytes from
 * the same F32 GGUF; `convert --dtype Q4_K --mixture`), and its KL statistics against the F32 model on
 * held-out Brown text, with llama-perplexity's definitions (what `ppl --kl-base` prints). The matrix
 * count per stored type is printed: rows that are not whole 256-blocks fall back as llama-quantize's
 * rules say (Q4_K to Q5_0).
 */
final class LlamaFileDemoStep implements DemoStep {
    static final int CTX = 256, EVAL_WINDOWS = 8;

    @Override public String name() { return "llama_file"; }
    @Override public String title() { return "a Q4_K file of actlab's decoder as llama-quantize writes it, and its KL divergence from F32"; }

    @Override public Map<String, Object> run(DemoContext ctx) throws Exception {
        LlamaModel m = ModelRef.decoder((String) null);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", m.source());
        int[] eval;
        try {
            eval = QuantTexts.tokens(m, QuantTexts.BROWN, null, true, null);
        } catch (IOException e) {
            ctx.out.println("  skipped: the Brown corpus is not available (" + e.getMessage() + ")");
            out.put("skipped", e.getMessage());
            return out;
        }
        Path file = ctx.outDir.resolve("decoder-Q4_K.gguf");
        LlamaQuantizeFile.Plan plan = LlamaQuantizeFile.prepare(m, DType.Q4_K, false, null, Path.of(m.source()).getFileName().toString());
        plan.writer().write(file);
        LlamaModel q = GgufLlamaLoader.load(file);
        ctx.out.printf("  wrote %s (%d bytes): llama-quantize's Q4_K (Q4_K_M) mixture; matrices by stored type: %s%n",
                file, Files.size(file), plan.matrixTypes());
        int[][] windows = PairedPerplexity.windows(eval, m.tokenizer().bosId(), CTX, EVAL_WINDOWS);
        QuantizationStats s = PairedPerplexity.run(m, List.of(q), windows, new ProgressBar("  KLD", "tokens")).get(0);
        ctx.out.printf("  protocol: %s against %s, held-out Brown text, %d tokens scored in %d windows of %d (BOS first), every position%n",
                file.getFileName(), Path.of(m.source()).getFileName(), s.scoredTokens(), windows.length, CTX);
        s.table().lines().forEach(l -> ctx.out.println("  " + l));
        out.put("file", file.toString());
        out.put("file_bytes", Files.size(file));
        Map<String, Object> types = new LinkedHashMap<>();
        plan.matrixTypes().forEach((t, n) -> types.put(t.name(), n));
        out.put("matrices_by_type", types);
        out.put("eval_windows", windows.length);
        out.put("ctx", CTX);
        out.put("stats", s.toJson());
        return out;
    }
}
