package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.capture.ActivationStore;
import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufLlamaLoader;
import dev.actlab.model.hook.ActivationCache;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.tensor.DType;
import dev.actlab.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `run`, `logits`, `ppl`, `capture` and `convert` end to end on stories260K: exit code and output
 * against the llama2.c C implementation's reference outputs in ../shared/reference/stories260K
 * (greedy tokens, logits; perplexity computed here from its logits) and against a direct run of
 * the model. (`demo` runs for minutes, well over this suite's budget; its steps have their own tests.)
 */
class CoreCommandsTest {
    @TempDir Path dir;

    static final ObjectMapper JSON = new ObjectMapper();

    static String model() { return Shared.stories260K().toString(); }

    static float maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length, "lengths");
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    @Test
    void runGeneratesLlama2cGreedyTokens() throws Exception {
        int[] greedy = Shared.tokens(Shared.require("reference/stories260K/greedy64.tokens.txt"));   // BOS + 64
        var r = InspectCommandTest.run("run", "--model", model(), "--tokens", "1", "--max-tokens", "24", "--json", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(r.out());
        assertEquals("[1]", j.get("prompt_tokens").toString());
        int[] got = new int[j.get("generated_tokens").size()];
        for (int i = 0; i < got.length; i++) got[i] = j.get("generated_tokens").get(i).asInt();
        assertArrayEquals(Arrays.copyOfRange(greedy, 1, 25), got, "temperature 0 (the default) is llama2.c's greedy decoding");
        assertEquals("max-tokens", j.get("stop_reason").asText());

        // without --json and without a tokenizer: the ids on stdout, the counts on stderr
        r = InspectCommandTest.run("run", "--model", model(), "--tokens", "1", "--max-tokens", "8");
        assertEquals(0, r.code(), r.err());
        assertEquals(Arrays.stream(greedy, 1, 9).mapToObj(Integer::toString).collect(Collectors.joining(" ")), r.out().strip());
        assertTrue(r.err().contains("1 prompt tokens, 8 generated (max-tokens)"), r.err());

        // the default decoder has a tokenizer: the text continues the prompt
        r = InspectCommandTest.run("run", "--prompt", "The jury said", "--max-tokens", "6");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("The jury said") && r.out().strip().length() > "The jury said".length(), r.out());
    }

    @Test
    void logitsEqualLlama2cs() throws Exception {
        String tokens = Files.readString(Shared.require("reference/stories260K/seq1.tokens.txt")).trim();
        float[] reference = Shared.f32(Shared.require("reference/stories260K/seq1.logits.f32"));
        Path out = dir.resolve("seq1.f32");
        var r = InspectCommandTest.run("logits", "--model", model(), "--tokens", tokens, "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        int n = tokens.split("\\s+").length;
        assertTrue(r.err().contains("wrote " + n + " positions x 512 logits"), r.err());
        float diff = maxAbsDiff(reference, Shared.f32(out));
        assertTrue(diff < 1e-4f, "max |actlab - llama2.c| = " + diff);
    }

    @Test
    void pplEqualsThePerplexityOfLlama2csLogits() throws Exception {
        Path tokensFile = Shared.require("reference/stories260K/seq2.tokens.txt");
        int[] ids = Shared.tokens(tokensFile);
        float[] ref = Shared.f32(Shared.require("reference/stories260K/seq2.logits.f32"));
        double nll = 0;   // each position predicts the next token: -log softmax(logits[t])[ids[t + 1]]
        for (int t = 0; t + 1 < ids.length; t++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int v = 0; v < 512; v++) max = Math.max(max, ref[t * 512 + v]);
            for (int v = 0; v < 512; v++) sum += Math.exp(ref[t * 512 + v] - max);
            nll -= ref[t * 512 + ids[t + 1]] - max - Math.log(sum);
        }
        double expected = Math.exp(nll / (ids.length - 1));

        var r = InspectCommandTest.run("ppl", "--model", model(), "--tokens-file", tokensFile.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(r.out());
        assertEquals(ids.length, j.get("tokens").asInt());
        assertEquals(1, j.get("windows").asInt());
        assertEquals(ids.length - 1, j.get("scored_tokens").asInt());
        assertEquals(expected, j.get("perplexity").asDouble(), expected * 1e-5, "perplexity from llama2.c's logits");

        r = InspectCommandTest.run("ppl", "--model", model(), "--tokens-file", tokensFile.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(ids.length + " tokens, 1 windows of ") && r.out().contains("Mean PPL(Q)"), r.out());
        assertTrue(r.out().contains(String.format("%10.4f", j.get("perplexity").asDouble())), r.out());
    }

    @Test
    void captureStoresWhatTheModelComputes() throws Exception {
        Path tokensFile = Shared.require("reference/stories260K/seq2.tokens.txt");
        int[] ids = Shared.tokens(tokensFile);
        Path store = dir.resolve("store");
        String[] args = {"capture", "--model", model(), "--tokens-file", tokensFile.toString(), "--ctx", "12",
                "--sites", "blocks.2.hook_resid_post,blocks.1.attn.hook_pattern", "--out", store.toString()};
        var r = InspectCommandTest.run(args);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("captured " + ids.length + " tokens x 2 sites (F32)"), r.out());
        assertTrue(r.out().contains("blocks.1.attn.hook_pattern") && r.out().contains("[8, 12]"), "pattern rows are [heads, ctx]: " + r.out());

        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        ActivationStore s = ActivationStore.open(store);
        assertEquals(ids.length, s.rows());
        for (int from = 0; from < ids.length; from += 12) {
            int[] window = Arrays.copyOfRange(ids, from, Math.min(ids.length, from + 12));
            ActivationCache c = m.runWithCache(window, Hooks.glob("blocks.2.hook_resid_post"));
            assertArrayEquals(c.get("blocks.2.hook_resid_post").toArray(), s.rows("blocks.2.hook_resid_post", from, window.length), "window at " + from);
        }

        // the same command again: the store is complete, nothing is redone; JSON tells the rows
        String[] withJson = Arrays.copyOf(args, args.length + 1);
        withJson[args.length] = "--json";
        r = InspectCommandTest.run(withJson);
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(r.out());
        assertEquals(ids.length, j.get("rows").asInt());
        assertEquals(2, j.get("sites").size());
    }

    @Test
    void convertWritesAGgufThatRunsTheSame() throws Exception {
        String tokens = Files.readString(Shared.require("reference/stories260K/seq1.tokens.txt")).trim();
        int[] ids = Shared.tokens(Shared.require("reference/stories260K/seq1.tokens.txt"));
        float[] reference = Shared.f32(Shared.require("reference/stories260K/seq1.logits.f32"));
        Path f32 = dir.resolve("s-f32.gguf"), q8 = dir.resolve("s-q8.gguf");
        var r = InspectCommandTest.run("convert", "--model", model(), "--out", f32.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote " + f32 + " (llama2.c, F32)"), r.out());
        LlamaModel a = GgufLlamaLoader.load(GgufFile.open(f32));
        LlamaModel bin = Llama2cReader.read(Shared.stories260K());
        float[] logits = a.runWithHooks(ids, Hooks.none());
        assertArrayEquals(bin.runWithHooks(ids, Hooks.none()), logits, "the same weights, the same bits");
        assertTrue(maxAbsDiff(reference, logits) < 1e-4f);

        // Q8_0: the matrices are Q8_0, each weight within half a quantization step of the F32 one
        r = InspectCommandTest.run("convert", "--model", model(), "--out", q8.toString(), "--dtype", "Q8_0");
        assertEquals(0, r.code(), r.err());
        LlamaModel b = GgufLlamaLoader.load(GgufFile.open(q8));
        assertEquals(DType.Q8_0, b.weights().wv()[0].dtype());
        float[] w = new float[64], wq = new float[64];
        for (int row = 0; row < 64; row++) {
            bin.weights().wv()[0].dequantizeRow(row % 32, w, 0);   // [kv_dim 32, dim 64]
            b.weights().wv()[0].dequantizeRow(row % 32, wq, 0);
            for (int blk = 0; blk < 64; blk += 32) {
                float amax = 0;
                for (int i = blk; i < blk + 32; i++) amax = Math.max(amax, Math.abs(w[i]));
                // x ~ q * d with d = amax / 127 stored as a half float: half a step, plus up to 127 times the scale's rounding
                float d = amax / 127, d16 = Float.float16ToFloat(Float.floatToFloat16(d));
                float bound = d / 2 + 127 * Math.abs(d - d16) + 1e-7f;
                for (int i = blk; i < blk + 32; i++) assertEquals(w[i], wq[i], bound, "row " + row + " element " + i + ", block max " + amax);
            }
        }
        float[] q8logits = b.runWithHooks(ids, Hooks.none());
        assertFalse(Arrays.equals(logits, q8logits), "Q8_0 changes the logits");
        // this 260K-parameter model is sensitive to weight rounding (GgufStories260KTest): the top token mostly stays
        int agree = 0;
        for (int t = 0; t < ids.length; t++)
            if (dev.actlab.model.generate.Sampler.argmax(Arrays.copyOfRange(logits, t * 512, (t + 1) * 512))
                    == dev.actlab.model.generate.Sampler.argmax(Arrays.copyOfRange(q8logits, t * 512, (t + 1) * 512))) agree++;
        assertTrue(agree >= ids.length * 3 / 4, "top-1 agreement " + agree + "/" + ids.length);

        r = InspectCommandTest.run("convert", "--model", model(), "--out", dir.resolve("x.gguf").toString(), "--dtype", "IQ2_XS");
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
