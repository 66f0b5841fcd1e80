package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.testutil.Shared;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SparsitySweepCommandTest {
    @Test
    void sweepWritesJsonAndHtmlWithQualityAndSpeedPerCell(@TempDir Path dir) throws Exception {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        Path report = dir.resolve("sweep");
        int code = cl.execute("sparsity-sweep", "--model", Shared.stories260K().toString(), "--methods", "teal,cats", "--levels", "0,0.5",
                "--calib-tokens", "128", "--speed", "--rounds", "1", "--gen-tokens", "4", "--prompt-tokens", "4", "--out", report.toString(), "--json");
        assertEquals(0, code, err.toString());
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertEquals(4, j.get("results").size());
        for (JsonNode r : j.get("results")) {
            double target = r.get("target_sparsity").asDouble();
            assertEquals(target, r.get("measured_mean_site_sparsity").asDouble(), 0.15, r.toString());
            if (target == 0) {   // sparsity 0 is the dense model: the same perplexity, no divergence
                assertEquals(r.get("base_perplexity").asDouble(), r.get("perplexity").asDouble(), 0.0);
                assertEquals(0.0, r.get("mean_kld").asDouble(), 1e-9);
            } else assertTrue(r.get("mean_kld").asDouble() > 0, r.toString());
            assertTrue(r.get("decode").get("speedup").asDouble() > 0);
        }
        assertTrue(Files.readString(report.resolve("sweep.html")).contains("<svg"));
        assertTrue(Files.isRegularFile(report.resolve("sweep.json")));
    }

    @Test
    void anUnknownMethodIsAUsageError() {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err));
        assertEquals(2, cl.execute("sparsity-sweep", "--model", "random:260K", "--methods", "teal,deja"));
        assertTrue(err.toString().contains("deja"), err.toString());
    }
}
