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

/** `actlab inspect` end to end on stories260K: files written, summary printed, bad input as one-line errors. */
class InspectCommandTest {
    @TempDir Path dir;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void writesBothReportsAndPrintsTheFindings() throws Exception {
        String model = Shared.stories260K().toString();
        String tokens = Files.readString(Shared.require("reference/stories260K/greedy64.tokens.txt")).trim();
        Path out = dir.resolve("report");
        Run r = run("inspect", "--model", model, "--tokens", tokens, "--out", out.toString(), "--ctx", "16");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("massive activations:") && r.out().contains("outlier channels") && r.out().contains("logit lens"), r.out());
        assertTrue(r.err().contains("inspect 65/65 tokens"), "progress on stderr: " + r.err());
        JsonNode j = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertEquals(5, j.at("/model/layers").asInt());
        assertEquals(65, j.at("/input/tokens").asInt());
        assertEquals(5, j.at("/input/chunks").asInt());
        assertEquals("massive_activations", j.at("/massive_activations/rule/name").asText());
        assertEquals(100.0, j.at("/massive_activations/rule/params/abs_threshold").asDouble());
        assertEquals(5, j.at("/attention_sinks/mass").size());
        assertTrue(j.at("/sites").size() > 50);
        assertTrue(Files.readString(out.resolve("report.html")).contains("<svg"));
        try (var files = Files.list(out)) { assertEquals(2, files.count(), "no temporary files left behind"); }
    }

    @Test
    void jsonOutputParses() throws Exception {
        Run r = run("inspect", "--model", Shared.stories260K().toString(), "--tokens", "1 403 407 261 400", "--out", dir.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(5, j.at("/input_tokens").asInt());
        assertEquals(0, j.at("/massive_activations/count").asInt());
    }

    @Test
    void badInputIsAOneLineError() throws Exception {
        String model = Shared.stories260K().toString();
        Run bad = run("inspect", "--model", model, "--tokens", "1 x", "--out", dir.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--tokens must be integers"), bad.err());
        Run noTok = run("inspect", "--model", model, "--prompt", "Once upon a time", "--out", dir.toString());
        assertEquals(2, noTok.code());
        assertTrue(noTok.err().contains("has no tokenizer"), noTok.err());
        Run missing = run("inspect", "--model", dir.resolve("nope.bin").toString(), "--tokens", "1", "--out", dir.toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("no such file"), missing.err());
        Run outOfVocab = run("inspect", "--model", model, "--tokens", "1 9999", "--out", dir.toString());
        assertEquals(2, outOfVocab.code());
        assertTrue(outOfVocab.err().contains("outside the vocabulary"), outOfVocab.err());
        Run two = run("inspect", "--model", model, "--tokens", "1", "--prompt", "x", "--out", dir.toString());
        assertEquals(2, two.code());
        assertTrue(two.err().contains("exactly one of --text, --prompt or --tokens"), two.err());
    }
}
