package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.io.Progress;
import dev.actlab.model.eval.PairedPerplexity;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.quant.Svd;
import dev.actlab.tensor.WeightMatrix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `actlab lowrank` end to end on the default decoder (the GGUF it writes holds rank-k matrices and scores as reported), and its errors. */
class LowRankCommandTest {
    @TempDir Path dir;

    static final String TEXT = """
            The old mill stood at the bend of the river, where the water ran fast over a shelf of stone. For a
            hundred years it had ground the wheat of the valley, and the farmers brought their grain in wagons
            every autumn. Now the wheel was still, the roof had fallen in, and swallows nested in the loft.
            The governor told reporters that the state would not raise taxes this year. He said that the budget
            could be balanced by cutting waste, and that the schools and the roads would get what they needed.
            His opponents called the plan a fantasy and promised to fight it in the legislature.
            """;

    @Test
    void compressesTheDefaultDecoderAndWritesAGgufOfRankKMatrices() throws Exception {
        Path model = Path.of(dev.actlab.model.load.ModelRef.DEFAULT_MODEL);
        Assumptions.assumeTrue(Files.isRegularFile(model), "skipped: " + model.toAbsolutePath() + " is absent");
        Path text = dir.resolve("text.txt"), out = dir.resolve("lowrank.gguf");
        Files.writeString(text, TEXT);
        var r = InspectCommandTest.run("lowrank", "--rank-ratio", "0.5", "--whiten", "--calib", text.toString(), "--eval", text.toString(),
                "--ctx", "64", "--calib-windows", "4", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("whitened", j.get("method").asText());
        assertEquals(35, j.get("matrices").size(), "7 projections x 5 blocks");
        JsonNode q0 = j.get("matrices").get(0);
        assertEquals("blk.0.attn_q", q0.get("name").asText());
        assertEquals(48, q0.get("rank").asInt(), "48 (192 + 192) = 0.5 * 192 * 192");
        assertEquals(48 * 384, q0.get("parameters").asLong());
        for (String k : new String[]{"relative_frobenius_error", "activation_weighted_error", "full_rank", "dense_parameters"}) assertTrue(q0.has(k), k);
        for (String k : new String[]{"perplexity", "base_perplexity", "mean_kld", "p99_kld", "same_top_p", "rms_delta_p", "block_parameters", "model_parameters"})
            assertTrue(j.has(k), k);
        assertTrue(j.get("mean_kld").asDouble() > 0, j.toString());

        // the file: every reader runs it; its matrices have the reported rank, and it scores what was reported
        LlamaModel base = ModelLoader.loadDecoder(model), written = ModelLoader.loadDecoder(out);
        WeightMatrix wq = written.weights().wq()[0];
        double[] a = new double[wq.rows() * wq.cols()];
        float[] row = new float[wq.cols()];
        for (int i = 0; i < wq.rows(); i++) { wq.dequantizeRow(i, row, 0); for (int c = 0; c < row.length; c++) a[i * wq.cols() + c] = row[c]; }
        Svd svd = Svd.of(a, wq.rows(), wq.cols());
        assertTrue(svd.singularValue(47) > 1e-3 * svd.singularValue(0) && svd.singularValue(48) < 1e-5 * svd.singularValue(0),
                "blk.0.attn_q in the file: s47 " + svd.singularValue(47) + ", s48 " + svd.singularValue(48) + ", s0 " + svd.singularValue(0));
        int[] tokens = base.tokenizer().encode(TEXT, false);
        int[][] windows = PairedPerplexity.windows(tokens, base.tokenizer().bosId(), 64, 0);
        var stats = PairedPerplexity.run(base, List.of(written), windows, Progress.NONE).get(0);
        assertEquals(j.get("perplexity").asDouble(), stats.perplexity(), 1e-4 * stats.perplexity());
        assertEquals(j.get("mean_kld").asDouble(), stats.meanKld(), 1e-4 * stats.meanKld() + 1e-7);
    }

    @Test
    void sweepWritesItsTableJsonAndChart() throws Exception {
        Path model = Path.of("models/actlab-brown.gguf");
        Assumptions.assumeTrue(Files.isRegularFile(model), "skipped: " + model.toAbsolutePath() + " is absent");
        Path text = dir.resolve("text.txt"), out = dir.resolve("sweep");
        Files.writeString(text, TEXT);
        var r = InspectCommandTest.run("lowrank-sweep", "--ratios", "0.5,0.3", "--whiten", "yes", "--calib", text.toString(), "--eval", text.toString(),
                "--ctx", "64", "--calib-windows", "4", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("0.50  whitened") && r.out().contains("0.30  whitened"), r.out());
        JsonNode j = new ObjectMapper().readTree(out.resolve("sweep.json").toFile());
        assertEquals(2, j.get("results").size());
        JsonNode half = j.get("results").get(0), third = j.get("results").get(1);
        assertEquals(0.5, half.get("rank_ratio").asDouble());
        assertTrue(third.get("block_parameters").asLong() < half.get("block_parameters").asLong(), "fewer parameters at 0.3");
        assertTrue(third.get("mean_kld").asDouble() > half.get("mean_kld").asDouble(), "lower rank, larger divergence: " + j.get("results"));
        String html = Files.readString(out.resolve("sweep.html"));
        assertTrue(html.contains("<svg") && html.contains("perplexity against parameters") && html.contains("whitened"), "chart in sweep.html");
    }

    @Test
    void badInputIsAOneLineUsageError() throws Exception {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, TEXT);
        String t = text.toString();
        expect2("rank ratio must be in (0, 1], got 0.0", "lowrank", "--rank-ratio", "0", "--calib", t, "--eval", t);
        expect2("rank ratio must be in (0, 1], got 1.5", "lowrank", "--rank-ratio", "1.5", "--calib", t, "--eval", t);
        expect2("--calib FILE is required", "lowrank", "--rank-ratio", "0.5", "--eval", t);
        expect2("no such file", "lowrank", "--rank-ratio", "0.5", "--calib", dir.resolve("absent.txt").toString(), "--eval", t);
        expect2("--rank-ratio", "lowrank", "--calib", t);
        expect2("--ratios: rank ratio must be in (0, 1], got 0", "lowrank-sweep", "--ratios", "0.5,0", "--calib", t, "--eval", t);
        expect2("--whiten must be no, yes or both", "lowrank-sweep", "--whiten", "maybe", "--calib", t, "--eval", t);
    }

    static void expect2(String message, String... args) {
        var r = InspectCommandTest.run(args);
        assertEquals(2, r.code(), String.join(" ", args) + ": " + r.out() + r.err());
        assertTrue(r.err().contains(message), "'" + message + "' in: " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }
}
