package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `actlab patch` end to end: the default decoder with text, stories260K with token ids, and bad input. */
class PatchCommandTest {
    @TempDir Path dir;

    @Test
    void attributionOnTheDefaultDecoderWritesJsonAndHtml() throws Exception {
        Path out = dir.resolve("patch");
        var r = InspectCommandTest.run("patch", "--clean", "When the man came home, he said that", "--corrupt", "When the woman came home, she said that",
                "--metric", "logit_diff: he, she", "--attribution", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(15, j.get("sites").size(), "three site kinds x 5 layers");
        assertEquals(10, j.get("columns").size());
        assertEquals("blocks.0.hook_resid_pre", j.at("/sites/0/site").asText());
        assertEquals(10, j.at("/sites/0/attribution_effect").size());
        assertTrue(j.at("/clean/metric").asDouble() > j.at("/corrupt/metric").asDouble(), "the model prefers he after the man: " + j);
        assertEquals(150, j.at("/correlation/cells").asInt());
        assertTrue(j.at("/correlation/pearson").asDouble() > 0.9, j.at("/correlation").toString());
        assertEquals(3, j.at("/correlation/by_site_kind").size());
        assertEquals(j, new ObjectMapper().readTree(out.resolve("patch.json").toFile()), "the file holds what was printed");
        String html = Files.readString(out.resolve("patch.html"));
        assertTrue(html.contains("Attribution patching") && html.contains("<svg"), "report with heatmaps");
        try (var files = Files.list(out)) { assertEquals(2, files.count(), "no temporary files left behind"); }
    }

    @Test
    void tokenIdsWorkForAModelWithoutTokenizer() throws Exception {
        String model = Shared.stories260K().toString();
        var r = InspectCommandTest.run("patch", "--model", model, "--clean-tokens", "1 403 407 261 378", "--corrupt-tokens", "1 403 411 261 378",
                "--metric", "logprob:#261", "--sites", "blocks.*.hook_resid_pre", "--positions", "all", "--attribution");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("blocks.4.hook_resid_pre") && r.out().contains("correlation with activation patching over 5 cells"), r.out());
    }

    @Test
    void badInputIsAOneLineError() {
        var r = InspectCommandTest.run("patch", "--clean", "The man said", "--corrupt", "The old woman said", "--metric", "logit_diff: he, she");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("same length"), r.err());
        r = InspectCommandTest.run("patch", "--clean", "The man said", "--corrupt", "The men said", "--metric", "logit_diff: he, she",
                "--sites", "blocks.*.ln1.hook_normalized", "--attribution");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no gradient for blocks.0.ln1.hook_normalized"), r.err());
        r = InspectCommandTest.run("patch", "--clean", "a b", "--corrupt", "a c", "--metric", "logit_diff: he, she", "--positions", "some");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("each or all"), r.err());
    }
}
