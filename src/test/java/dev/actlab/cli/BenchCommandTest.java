package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.model.llama.RandomLlama;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchCommandTest {
    @Test
    void benchOnARandomTinyModelReportsEveryFigure() throws Exception {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("bench", "--model", "random:tiny", "--rounds", "2", "--prompt-tokens", "8", "--gen-tokens", "4",
                "--probe-mb", "16", "--threads", "2", "--hook-overhead", "--json");
        assertEquals(0, code, err.toString());
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertEquals(2, j.get("rounds_detail").size());
        assertEquals(RandomLlama.config("tiny").parameterCount(), j.get("parameters").asLong());
        for (String k : new String[]{"read_bandwidth_gbs", "prefill_tokens_per_second", "prefill_gflops", "decode_tokens_per_second",
                "decode_weight_gbs", "decode_fraction_of_read_bandwidth", "prefill_fraction_of_fma_peak"}) {
            double best = j.get(k).get("best").asDouble(), median = j.get(k).get("median").asDouble();
            assertTrue(best > 0 && median > 0 && median <= best, k + ": best " + best + ", median " + median);
        }
        assertTrue(j.get("fma_peak_gflops").asDouble() > 0);
        for (String mode : new String[]{"no_hooks", "unused_hooks", "cache_resid_post"}) {
            JsonNode h = j.get("hook_overhead").get(mode);
            assertTrue(h.get("median_tokens_per_second").asDouble() > 0, mode);
            assertTrue(h.get("best_tokens_per_second").asDouble() >= h.get("median_tokens_per_second").asDouble(), mode);
        }
        assertEquals(1.0, j.get("hook_overhead").get("no_hooks").get("median_ratio_to_no_hooks").asDouble());
    }

    /** MiniLM beside ONNX Runtime: wall and mean process CPU time per engine, and the ratios computed from them. */
    @Test
    void minilmBenchReportsWallAndCpuTimeRatios() throws Exception {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("bench", "--model", "minilm", "--batch", "4", "--seq", "32", "--latency-seq", "8", "--rounds", "2", "--threads", "2", "--json");
        assertEquals(0, code, err.toString());
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertEquals(2, j.get("results").size());
        for (JsonNode r : j.get("results")) {
            JsonNode a = r.get("actlab"), o = r.get("onnxruntime");
            for (JsonNode e : new JsonNode[]{a, o}) {
                assertTrue(e.get("best_ms").asDouble() > 0 && e.get("best_ms").asDouble() <= e.get("median_ms").asDouble(), e.toString());
                assertTrue(e.get("mean_cpu_ms").asDouble() >= 0, e.toString());
            }
            assertEquals(Math.round(o.get("best_ms").asDouble() / a.get("best_ms").asDouble() * 1000) / 1000.0, r.get("speedup_best").asDouble(), 0.0011);
            if (a.get("mean_cpu_ms").asDouble() > 0)
                assertEquals(Math.round(o.get("mean_cpu_ms").asDouble() / a.get("mean_cpu_ms").asDouble() * 1000) / 1000.0, r.get("cpu_speedup_mean").asDouble(), 0.0011);
        }
    }

    @Test
    void trainBenchReportsStepSpeedAgainstTheFmaPeakOfEachRound() throws Exception {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("bench", "--train", "--config", "tiny", "--vocab", "300", "--ctx", "16", "--batch", "2",
                "--rounds", "3", "--steps", "2", "--warmup", "1", "--threads", "2", "--json");
        assertEquals(0, code, err.toString());
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertEquals(3, j.get("rounds_detail").size());
        dev.actlab.train.TrainModel m = new dev.actlab.train.TrainModel(dev.actlab.model.llama.LlamaShape.TINY.config(16, 300));
        assertEquals(m.parameterCount(), j.get("parameters").asLong());
        assertEquals(3 * m.forwardFlopsPerToken(16) * 2 * 16, j.get("flops_per_step").asDouble(), 1e-6);
        for (String k : new String[]{"tokens_per_second", "gflops_per_second", "gflop_per_cpu_second", "percent_of_one_core_fma_peak"}) {
            double best = j.get(k).get("best").asDouble(), median = j.get(k).get("median").asDouble();
            assertTrue(best > 0 && median > 0 && median <= best, k + ": best " + best + ", median " + median);
        }
        for (JsonNode r : j.get("rounds_detail")) {   // each round's percentage is its own GFLOP per CPU-second over its own peak
            double pct = 100 * r.get("gflop_per_cpu_second").asDouble() / r.get("fma_peak_gflops_one_core").asDouble();
            assertEquals(pct, r.get("percent_of_one_core_fma_peak").asDouble(), 1e-9 * pct);
        }
    }

    /** --breakdown: every phase's share of the profiled time, summing to 1; the GEMM phases' GFLOP/s from their flops and time. */
    @Test
    void trainBenchBreakdownSharesSumToOne() throws Exception {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("bench", "--train", "--config", "tiny", "--vocab", "300", "--ctx", "16", "--batch", "2",
                "--rounds", "2", "--steps", "2", "--warmup", "1", "--threads", "1", "--breakdown", "--json");
        assertEquals(0, code, err.toString());
        JsonNode phases = new ObjectMapper().readTree(out.toString()).get("breakdown");
        double sum = 0;
        java.util.Set<String> names = new java.util.HashSet<>();
        for (JsonNode p : phases) {
            sum += p.get("share").asDouble();
            names.add(p.get("phase").asText());
            if (p.has("gflop_per_cpu_second"))
                assertEquals(p.get("gflop_per_cpu_second").asDouble() * 1e9 * p.get("cpu_ms_per_step").asDouble() / 1e3,
                        dev.actlab.train.StepProfile.flops(new dev.actlab.train.TrainModel(dev.actlab.model.llama.LlamaShape.TINY.config(16, 300)), 2, 16)
                                .get(dev.actlab.train.StepProfile.Phase.valueOf(p.get("phase").asText().toUpperCase(java.util.Locale.ROOT))), 1);
        }
        assertEquals(1.0, sum, 1e-9);
        for (String n : new String[]{"matmul_forward", "matmul_dx", "matmul_dw", "attention_gemm", "adamw", "cross_entropy", "norm"})
            assertTrue(names.contains(n), n + " missing from " + names);
    }

    @Test
    void benchWithoutModelOrTrainIsAOneLineError() {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(2, cl.execute("bench"));
        assertTrue(err.toString().contains("bench needs --model (or --train)"), err.toString());
    }

    @Test
    void anUnknownShapeIsAOneLineError() {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(2, cl.execute("bench", "--model", "random:7B"));
        assertTrue(err.toString().contains("unknown random model shape '7B'"), err.toString());
    }
}
