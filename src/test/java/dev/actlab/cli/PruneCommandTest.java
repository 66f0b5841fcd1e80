package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.prune.PruneRun;
import dev.actlab.prune.PruningMethod;
import dev.actlab.prune.PruningPattern;
import dev.actlab.quant.Calibration;
import dev.actlab.quant.Linear;
import dev.actlab.quant.QuantModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `actlab prune` and `prune-sweep` end to end on the default decoder: the GGUF read back, the JSON, and refused input. */
class PruneCommandTest {
    @TempDir Path dir;

    static final Path MODEL = Path.of(dev.actlab.model.load.ModelRef.DEFAULT_MODEL);

    Path text() throws Exception {
        Path t = dir.resolve("text.txt");
        Files.writeString(t, QuantizeCommandTest.TEXT);
        return t;
    }

    @Test
    void writesAGgufWithZerosExactlyWhereTheMaskIsAndKeepsTheMetadata() throws Exception {
        assumeTrue(Files.isRegularFile(MODEL));
        Path text = text(), out = dir.resolve("pruned.gguf");
        var r = InspectCommandTest.run("prune", "--method", "wanda", "--nm", "2:4", "--calib", text.toString(), "--eval", text.toString(),
                "--ctx", "64", "--calib-windows", "3", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("wanda", j.get("method").asText());
        assertEquals("2:4", j.get("pattern").asText());
        assertEquals(35, j.get("matrices").size(), "7 projections x 5 blocks");
        for (JsonNode m : j.get("matrices")) assertEquals(0.5, m.get("sparsity").asDouble(), 1e-12, m.toString());
        for (String k : new String[]{"perplexity", "base_perplexity", "mean_kld", "median_kld", "p99_kld", "max_kld", "same_top_p", "ln_ppl_ratio"})
            assertTrue(j.has(k), k);
        assertTrue(j.get("mean_kld").asDouble() > 0 && j.get("perplexity").asDouble() > j.get("base_perplexity").asDouble() * 0.9, j.toString());

        LlamaModel base = ModelLoader.loadDecoder(MODEL), back = ModelLoader.loadDecoder(out);
        Calibration calib = Calibration.of(base.tokenizer().encode(Files.readString(text), false), base.tokenizer().bosId(), 64, 3);
        QuantModel expected = PruneRun.prune(base, PruningMethod.WANDA, PruningPattern.nm("2:4"), calib, (d, t) -> {}).model();
        QuantModel read = QuantModel.of(back), dense = QuantModel.of(base);
        long zeros = 0;
        for (int l = 0; l < base.config().layers(); l++)
            for (Linear lin : Linear.values()) {
                float[] want = expected.weight(l, lin), got = read.weight(l, lin), orig = dense.weight(l, lin);
                assertArrayEquals(want, got, lin.nameAt(l));
                for (int i = 0; i < got.length; i++) {
                    if (got[i] == 0) zeros++;
                    else assertEquals(orig[i], got[i], lin.nameAt(l) + ": wanda keeps the weights it does not prune");
                }
            }
        assertTrue(zeros > 0);
        assertArrayEquals(dense.embedding(), read.embedding(), "the embedding is not pruned");
        GgufFile src = GgufFile.open(MODEL), dst = GgufFile.open(out);
        for (var e : src.entries().entrySet())
            if (!e.getKey().equals("general.file_type")) assertEquals(e.getValue().toString(), String.valueOf(dst.entry(e.getKey())), e.getKey());
        float[] logits = back.runWithHooks(back.tokenizer().encode("The jury said", true), Hooks.none());
        for (float v : logits) assertTrue(Float.isFinite(v));
    }

    @Test
    void refusesBadInputWithExitTwoAndOneLine() throws Exception {
        Path text = text(), out = dir.resolve("never.gguf");
        String[][] cases = {
                {"--method", "magnitude", "--sparsity", "1.0"}, {"--method", "magnitude", "--sparsity", "-0.1"},
                {"--method", "wanda", "--nm", "3:2", "--calib", text.toString()}, {"--method", "wanda", "--nm", "2x4", "--calib", text.toString()},
                {"--method", "wanda", "--sparsity", "0.5"}, {"--method", "sparsegpt", "--nm", "2:4"},
                {"--method", "structured", "--nm", "2:4", "--calib", text.toString()}, {"--method", "lottery", "--sparsity", "0.5"},
                {"--method", "magnitude"}, {"--method", "magnitude", "--sparsity", "0.3", "--nm", "2:4"}};
        String[] says = {"[0, 1)", "[0, 1)", "--nm", "--nm", "needs calibration text", "needs calibration text", "--nm does not apply", "unknown pruning method",
                "--sparsity", "--nm 2:4 prunes 0.5"};
        for (int i = 0; i < cases.length; i++) {
            String[] args = new String[cases[i].length + 3];
            args[0] = "prune";
            System.arraycopy(cases[i], 0, args, 1, cases[i].length);
            args[args.length - 2] = "--out";
            args[args.length - 1] = out.toString();
            var r = InspectCommandTest.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + "\n" + r.err());
            assertTrue(r.err().contains(says[i]), says[i] + " in: " + r.err());
            assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        }
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void sweepWritesTablesJsonAndChart() throws Exception {
        assumeTrue(Files.isRegularFile(MODEL));
        Path text = text(), out = dir.resolve("sweep");
        var r = InspectCommandTest.run("prune-sweep", "--methods", "magnitude,wanda", "--levels", "0.5", "--nm", "2:4", "--calib", text.toString(),
                "--eval", text.toString(), "--ctx", "64", "--calib-windows", "2", "--eval-windows", "4", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(4, j.get("results").size());
        for (JsonNode c : j.get("results")) assertEquals(0.5, c.get("measured_sparsity").asDouble(), 1e-12, c.toString());
        assertTrue(Files.readString(out.resolve("sweep.html")).contains("<svg"));
        assertEquals(j.get("base_perplexity").asDouble(), new ObjectMapper().readTree(out.resolve("sweep.json").toFile()).get("base_perplexity").asDouble());
    }
}
