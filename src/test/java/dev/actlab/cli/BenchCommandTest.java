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

    @Test
    void anUnknownShapeIsAOneLineError() {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(2, cl.execute("bench", "--model", "random:7B"));
        assertTrue(err.toString().contains("unknown random model shape '7B'"), err.toString());
    }
}
