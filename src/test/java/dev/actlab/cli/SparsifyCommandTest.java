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

class SparsifyCommandTest {
    private static JsonNode run(String... args) throws Exception {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        assertEquals(0, cl.execute(args), err.toString());
        return new ObjectMapper().readTree(out.toString());
    }

    @Test
    void thresholdsWrittenBySparsifyDriveRunPplAndBench(@TempDir Path dir) throws Exception {
        String model = Shared.stories260K().toString();
        Path th = dir.resolve("t.json");
        JsonNode s = run("sparsify", "--model", model, "--sparsity", "0.4", "--calib-tokens", "128", "--out", th.toString(),
                "--levels", "0.25,0.5", "--bench", "--rounds", "2", "--gen-tokens", "8", "--prompt-tokens", "4", "--json");
        assertTrue(Files.isRegularFile(th));
        assertEquals(20, s.get("thresholds").get("sites").size());
        assertEquals(2, s.get("quality").get("levels").size());
        assertTrue(s.get("bench").get("sparse_median").asDouble() > 0);

        Path ids = dir.resolve("ids.txt");
        Files.writeString(ids, Files.readString(Shared.require("reference/stories260K/seq1.tokens.txt")));
        JsonNode p = run("ppl", "--model", model, "--tokens-file", ids.toString(), "--sparsity", th.toString(), "--json");
        JsonNode sites = p.get("sparsity").get("sites");
        assertEquals(20, sites.size());
        for (JsonNode site : sites) assertTrue(site.get("measured_sparsity").asDouble() > 0.2, site.toString());

        JsonNode r = run("run", "--model", model, "--tokens", "1 403 407", "--max-tokens", "6", "--sparsity", "teal:0.3", "--json");
        assertEquals(0.3, r.get("sparsity").get("target_sparsity").asDouble());
        assertTrue(r.get("sparsity").get("input_major_extra_bytes").asLong() > 0);

        JsonNode b = run("bench", "--model", "random:260K", "--sparsity", "teal:0.5", "--calib-tokens", "64", "--rounds", "2",
                "--gen-tokens", "8", "--prompt-tokens", "4", "--json");
        assertEquals(2, b.get("dense_decode_tokens_per_second").size());
        assertTrue(b.get("speedup").asDouble() > 0 && b.get("speedup_limit").asDouble() > 1);
    }
}
