package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MlpSparsityCommandTest {
    @Test
    void jsonAndPageForTheDefaultDecoder(@TempDir Path dir) throws Exception {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        assertEquals(0, cl.execute("mlp-sparsity", "--max-tokens", "256", "--ctx", "128", "--steps", "3", "--out", dir.toString(), "--json"), err.toString());
        JsonNode j = new ObjectMapper().readTree(out.toString());
        JsonNode m = j.get("models").get(0);
        assertEquals(java.nio.file.Path.of(dev.actlab.model.load.ModelRef.DEFAULT_MODEL).getFileName().toString(), m.get("label").asText());
        assertEquals("silu gated", m.get("mlp").asText());
        assertEquals(5, m.get("layers").size());
        assertEquals(3, m.get("search").size());
        assertTrue(m.get("ppl_p_perplexity").asDouble() <= 1.01 * m.get("dense_perplexity").asDouble());
        assertTrue(Files.readString(dir.resolve("sparsity.html")).contains("<svg"));
        assertEquals(j, new ObjectMapper().readTree(dir.resolve("sparsity.json").toFile()));
    }

    @Test
    void badRiseIsAOneLineUsageError() {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int code = cl.execute("mlp-sparsity", "--ppl-rise", "0", "--max-tokens", "64");
        assertEquals(2, code, err.toString());
        assertTrue(err.toString().contains("--ppl-rise"), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace");
    }
}
