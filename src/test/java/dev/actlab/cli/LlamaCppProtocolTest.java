package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.model.eval.LlamaCppPerplexity;
import dev.actlab.model.eval.SavedLogits;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * llama-perplexity's protocol (model/eval/LlamaCppPerplexity, in plain float32) against its own output on the same model and text (saved by
 * src/test/llamacpp/make_llamacpp_eval_fixtures.sh): the F32 model's perplexity, and F32 vs its Q4_0
 * round trip (--kl-divergence-base, then --kl-divergence): PPL(Q), PPL(base), ln(PPL(Q)/PPL(base)),
 * mean KLD and their standard errors, every KLD percentile, max, RMS Δp and same top p, each equal to
 * 1e-3 relative (plus half a unit of the last digit llama-perplexity prints).
 */
class LlamaCppProtocolTest {
    @TempDir Path dir;

    @Test
    void perplexityAndEveryKlStatisticEqualLlamaPerplexitys() throws Exception {
        // llama.cpp ran with an F32 KV cache and no flash attention: the protocol in plain float32, without the ggml
        // roundings ppl --protocol llama.cpp adds for llama-perplexity's defaults (LlamaCppQuantizedPplTest checks those)
        LlamaModel base = ModelLoader.loadDecoder(LlamaCppFixtures.model(dir, "F32")), q = ModelLoader.loadDecoder(LlamaCppFixtures.model(dir, "Q4_0-as-F32"));
        int[] tokens = base.tokenizer().encode(Files.readString(LlamaCppFixtures.DIR.resolve("text.txt")), true);
        Path logits = dir.resolve("base.f32");
        LlamaCppPerplexity.Result b;
        try (SavedLogits.Writer w = new SavedLogits.Writer(logits, base.config().vocabSize())) {
            b = LlamaCppPerplexity.run(base, tokens, LlamaCppFixtures.CTX, 1, Hooks.none(), w, null, null);
            w.commit();
        }
        String f32 = Files.readString(LlamaCppFixtures.DIR.resolve("llama-perplexity-f32.txt"));
        Matcher m = Pattern.compile("PPL = ([0-9.]+) \\+/- ([0-9.]+)").matcher(f32);
        assertTrue(m.find(), f32);
        close(m.group(1), b.perplexity(), "PPL");
        close(m.group(2), b.perplexityError(), "PPL +/-");
        assertEquals(45 * 31, b.scoredTokens(), "45 chunks of 64, 31 scored in each");

        JsonNode k = new ObjectMapper().valueToTree(LlamaCppPerplexity.run(q, tokens, LlamaCppFixtures.CTX, 1, Hooks.none(), null,
                SavedLogits.open(logits), null).kl().toJson());
        String out = Files.readString(LlamaCppFixtures.DIR.resolve("llama-perplexity-kld-q4_0-as-f32.txt"));
        close(find(out, "Mean PPL\\(Q\\)\\s+: ([0-9.]+)"), k.get("perplexity").asDouble(), "PPL(Q)");
        close(find(out, "Mean PPL\\(base\\)\\s+: ([0-9.]+)"), k.get("base_perplexity").asDouble(), "PPL(base)");
        close(find(out, "Mean ln\\(PPL\\(Q\\)/PPL\\(base\\)\\)\\s+: +(-?[0-9.]+)"), k.get("ln_ppl_ratio").asDouble(), "ln ratio");
        close(find(out, "Mean ln\\(PPL\\(Q\\)/PPL\\(base\\)\\)\\s+: +-?[0-9.]+ ± +([0-9.]+)"), k.get("ln_ppl_ratio_stderr").asDouble(), "ln ratio +/-");
        close(find(out, "Mean    KLD: +([0-9.]+)"), k.get("mean_kld").asDouble(), "mean KLD");
        close(find(out, "Mean    KLD: +[0-9.]+ ± +([0-9.]+)"), k.get("mean_kld_stderr").asDouble(), "mean KLD +/-");
        close(find(out, "Maximum KLD: +([0-9.]+)"), k.get("max_kld").asDouble(), "max KLD");
        close(find(out, "99\\.9%   KLD: +([0-9.]+)"), k.get("p99_9_kld").asDouble(), "99.9% KLD");
        close(find(out, "99\\.0%   KLD: +([0-9.]+)"), k.get("p99_kld").asDouble(), "99% KLD");
        close(find(out, "95\\.0%   KLD: +([0-9.]+)"), k.get("p95_kld").asDouble(), "95% KLD");
        close(find(out, "90\\.0%   KLD: +([0-9.]+)"), k.get("p90_kld").asDouble(), "90% KLD");
        close(find(out, "Median  KLD: +([0-9.]+)"), k.get("median_kld").asDouble(), "median KLD");
        close(find(out, "RMS Δp    : +([0-9.]+)"), 100 * k.get("rms_delta_p").asDouble(), "RMS Δp %");
        close(find(out, "Same top p: +([0-9.]+)"), 100 * k.get("same_top_p").asDouble(), "same top p %");
        close(find(out, "Same top p: +[0-9.]+ ± +([0-9.]+)"), 100 * k.get("same_top_p_stderr").asDouble(), "same top p +/-");
        assertEquals(45 * 31, k.get("scored_tokens").asLong());
    }

    @Test
    void everyTableStartsWithItsProtocolLine() throws Exception {
        Path base = LlamaCppFixtures.model(dir, "F32");
        String text = LlamaCppFixtures.DIR.resolve("text.txt").toString();
        String a = LlamaCppFixtures.run("ppl", "--model", base.toString(), "--text", text, "--ctx", "64", "--protocol", "llama.cpp");
        assertTrue(a.startsWith("protocol llama.cpp: model " + base + ", text " + text + ", 1395 tokens scored, context 64 ("), a);
        assertTrue(a.contains("BOS: id 1 written over each chunk's first token"), a);
        assertTrue(a.contains("arithmetic: ggml's CPU backend (float32, each matmul input rounded to its weights' vec_dot_type, F16 KV cache)"), a);
        String d = LlamaCppFixtures.run("ppl", "--model", base.toString(), "--text", text, "--ctx", "64");
        assertTrue(d.startsWith("protocol actlab: model " + base + ", text " + text + ", "), d);
    }

    private static String find(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), regex + " not in\n" + text);
        return m.group(1);
    }

    /** Equal to 1e-3 relative, plus half a unit of the printed value's last digit. */
    private static void close(String printed, double actual, String what) {
        double want = Double.parseDouble(printed);
        int dot = printed.indexOf('.');
        double halfUnit = dot < 0 ? 0.5 : 0.5 * Math.pow(10, -(printed.length() - dot - 1));
        assertEquals(want, actual, 1e-3 * Math.abs(want) + halfUnit, what + ": llama-perplexity prints " + printed + ", actlab " + actual);
    }
}
