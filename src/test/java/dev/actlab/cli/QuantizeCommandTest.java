package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `actlab quantize` and `quantize-sweep` end to end on real models, and their errors. */
class QuantizeCommandTest {
    @TempDir Path dir;

    static final String TEXT = """
            The committee met on Tuesday to discuss the budget for the coming year. Several members said that the
            schools needed more money, while others argued that taxes were already too high. After a long debate,
            the chairman proposed a compromise: the county would borrow part of the money and raise the rest from
            a small increase in the sales tax. The proposal was adopted by a vote of seven to four.
            In the afternoon the weather turned cold, and a light rain began to fall over the city. People hurried
            home from work, their collars turned up against the wind. She had lived there for forty years.
            """;

    Path ids(String name, int n, long seed) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        Path p = dir.resolve(name);
        Files.writeString(p, IntStream.range(0, n).mapToObj(i -> String.valueOf(3 + r.nextInt(509))).collect(Collectors.joining(" ")));
        return p;
    }

    @Test
    void quantizesTheDefaultDecoderAndPrintsTheKldStatistics() throws Exception {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, TEXT);
        var r = InspectCommandTest.run("quantize", "--recipe", "hadamard+gptq(w4,g64)+rtn(a8)", "--calib", text.toString(), "--eval", text.toString(),
                "--ctx", "64", "--calib-windows", "3", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("W4A8", j.get("bits").asText());
        assertEquals(3, j.get("steps").size());
        assertTrue(j.get("steps").get(1).asText().startsWith("gptq(w=int4, g=g64"), j.get("steps").toString());
        double ppl = j.get("perplexity").asDouble(), base = j.get("base_perplexity").asDouble();
        assertTrue(ppl > base * 0.9 && ppl < base * 1.5, ppl + " vs " + base);
        assertTrue(j.get("mean_kld").asDouble() > 0 && j.get("mean_kld").asDouble() < 0.5, j.toString());
        for (String k : new String[]{"mean_kld_stderr", "median_kld", "p90_kld", "p95_kld", "p99_kld", "p99_9_kld", "max_kld", "same_top_p", "rms_delta_p", "ln_ppl_ratio"})
            assertTrue(j.has(k), k);
        assertEquals(3, j.at("/protocol/calibration_windows").asInt());
        assertEquals("prepended to each window", j.at("/protocol/bos").asText());
        assertEquals(4.25, j.get("weight_bits_per_value").asDouble(), 1e-9, "4 bits + a 16-bit scale per 64");

        var t = InspectCommandTest.run("quantize", "--recipe", "rtn(w8)", "--eval", text.toString(), "--ctx", "64");
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("protocol: model") && t.out().contains("Mean    KLD:") && t.out().contains("Same top p:")
                && t.out().contains("BOS prepended to each window"), t.out());
    }

    /**
     * The lowrank step composed with weight quantization through the CLI, with the error split: the split's
     * full-precision model is the cut model (float weights just before rounding), so the cut's cost is the
     * gap between the base's loss and loss_fp; the quantized model's loss is loss_both, there is no
     * activation part (no activation is quantized) and one weight part per layer.
     */
    @Test
    void lowRankThenQuantizeWithTheErrorSplit() throws Exception {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, TEXT);
        var r = InspectCommandTest.run("quantize", "--recipe", "lowrank(r=0.5, whiten)+rtn(w8)", "--calib", text.toString(), "--eval", text.toString(),
                "--ctx", "64", "--calib-windows", "3", "--parts", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.get("steps").get(0).asText().startsWith("lowrank(r=0.5, whiten, damp=0.001) ["), j.get("steps").toString());
        assertEquals("W8A16", j.get("bits").asText());
        JsonNode split = j.get("error_split");
        assertEquals(Math.log(j.get("perplexity").asDouble()), split.get("loss_both").asDouble(), 1e-9);
        // the split's float model is the cut model, not the base (calibrated on the evaluated text itself, the cut costs little here)
        assertTrue(Math.abs(split.get("loss_fp").asDouble() - Math.log(j.get("base_perplexity").asDouble())) > 1e-4, "the cut changes the float model: " + split);
        assertEquals(0, split.get("activation_part").asDouble(), 0, "no activation is quantized");
        assertTrue(Math.abs(split.get("weight_part").asDouble()) < 0.02, "8-bit rounding of the cut weights costs little: " + split);
        assertEquals(5, split.get("weight_part_at").size(), split.toString());
    }

    @Test
    void writesAWeightOnlyRecipeAsGgufThatLoadsBackWithItsTokenizer() throws Exception {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, TEXT);
        Path out = dir.resolve("q.gguf");
        var r = InspectCommandTest.run("quantize", "--recipe", "hadamard(online=false)+rtn(w4,g32)", "--eval", text.toString(), "--ctx", "64",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        LlamaModel back = ModelLoader.loadDecoder(out);
        assertTrue(back.tokenizer() != null, "tokenizer metadata copied");
        float[] w = new float[back.config().dim()];
        back.weights().wq()[0].dequantizeRow(0, w, 0);
        long distinct = java.util.stream.IntStream.range(0, 32).mapToDouble(i -> Math.abs(w[i])).distinct().count();
        assertTrue(distinct <= 8, "a group of 32 holds int4 magnitudes: " + distinct);
        float[] logits = back.runWithHooks(back.tokenizer().encode("The jury said", true), Hooks.none());
        for (float v : logits) assertTrue(Float.isFinite(v));

        var bad = InspectCommandTest.run("quantize", "--recipe", "hadamard+rtn(w4)", "--eval", text.toString(), "--ctx", "64", "--out", dir.resolve("x.gguf").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("cannot hold") && bad.err().contains("online"), bad.err());
    }

    @Test
    void tokenIdsForStories260KAndASweep() throws Exception {
        String model = Shared.stories260K().toString();
        Path calib = ids("calib.txt", 800, 1), eval = ids("eval.txt", 300, 2);
        Path out = dir.resolve("sweep");
        var r = InspectCommandTest.run("quantize-sweep", "--model", model, "--calib-tokens", calib.toString(), "--eval-tokens", eval.toString(),
                "--ctx", "64", "--calib-windows", "4", "--methods", "rtn=rtn({w},{a}); gptq=hadamard+gptq({w},{a})", "--bits", "W8A8,W4A16",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("hadamard+gptq") || r.out().contains("gptq"), r.out());
        JsonNode j = new ObjectMapper().readTree(out.resolve("sweep.json").toFile());
        assertEquals(4, j.get("results").size());
        assertEquals("W4A16", j.at("/results/1/bits").asText());
        assertEquals("hadamard+gptq(w4,a16)", j.at("/results/3/recipe").asText());
        assertEquals("none", j.at("/protocol/bos").asText(), "token ids are used as given");
        String html = Files.readString(out.resolve("sweep.html"));
        assertTrue(html.contains("<svg") && html.contains("hadamard+gptq"), "charts and table");
    }

    @Test
    void badInputIsAOneLineErrorNamingWhere() {
        var r = InspectCommandTest.run("quantize", "--recipe", "hadamard+gtpq(w4)");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("position 9") && r.err().contains("unknown method 'gtpq'"), r.err());
        r = InspectCommandTest.run("quantize", "--model", Shared.stories260K().toString(), "--recipe", "rtn(w8)");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no tokenizer") && r.err().contains("--eval-tokens"), r.err());
        r = InspectCommandTest.run("quantize-sweep", "--methods", "x=rtn(w4)", "--bits", "W4A4");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("{w} and {a}"), r.err());
        r = InspectCommandTest.run("quantize-sweep", "--bits", "W4", "--methods", "x=rtn({w},{a})");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("W4A8"), r.err());
    }
}
