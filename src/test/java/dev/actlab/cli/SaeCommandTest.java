package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.sae.Sae;
import dev.actlab.sae.SaeFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** actlab sae train / eval on actlab's own decoder, and the demo step. */
class SaeCommandTest {
    @TempDir Path dir;
    static final String TEXT = SaeEvalText.TEXT;

    @Test void trainWritesSaeLensFilesThatEvalReadsAndTheSameSeedGivesTheSameBits() throws Exception {
        Path text = dir.resolve("t.txt");
        Files.writeString(text, TEXT.repeat(3));
        String[] args = {"sae", "train", "--text", text.toString(), "--site", "blocks.1.hook_resid_post", "--k", "8", "--expansion", "2",
                "--tokens", "2048", "--batch", "256", "--ctx", "32", "--pool", "512", "--threads", "2", "--json", "--out", dir.resolve("a").toString()};
        var r = InspectCommandTest.run(args);
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(8, j.get("steps").asInt());
        assertEquals(384, j.get("d_sae").asInt());
        assertTrue(j.get("final").get("fvu").asDouble() < j.get("history").get(0).get("fvu").asDouble() + 1e-9);
        Sae a = SaeFile.read(dir.resolve("a"));
        assertEquals("blocks.1.hook_resid_post", a.cfg.hookName());
        assertEquals(1, a.cfg.hookLayer());
        args[args.length - 1] = dir.resolve("b").toString();
        assertEquals(0, InspectCommandTest.run(args).code());
        assertArrayEquals(Files.readAllBytes(dir.resolve("a/sae_weights.safetensors")), Files.readAllBytes(dir.resolve("b/sae_weights.safetensors")));

        var e = InspectCommandTest.run("sae", "eval", "--sae", dir.resolve("a").toString(), "--text", text.toString(), "--ctx", "32", "--json");
        assertEquals(0, e.code(), e.err());
        JsonNode ej = new ObjectMapper().readTree(e.out());
        assertTrue(ej.get("l0").asDouble() <= 8 + 1e-9);
        assertTrue(ej.get("ce_loss_zero_ablated").asDouble() > ej.get("ce_loss_clean").asDouble());
        assertTrue(ej.get("ce_loss_mean_ablated").asDouble() > ej.get("ce_loss_clean").asDouble());
        assertTrue(ej.has("ce_loss_recovered_mean"));
        var human = InspectCommandTest.run("sae", "eval", "--sae", dir.resolve("a").toString(), "--text", text.toString(), "--ctx", "32",
                "--dashboard", dir.resolve("f.html").toString());
        assertTrue(human.out().contains("recovered") && human.out().contains("mean-ablated"), human.out());
        String html = Files.readString(dir.resolve("f.html"));
        assertTrue(html.contains("<h2 id=\"f") && html.contains("<span class=\"t at\" style=\"background:#"), "features with their activating token coloured and outlined");
        assertTrue(html.replaceAll("<[^>]+>", "").contains("Fulton"), "contexts are the text's (one span per token)");
        assertTrue(html.contains("class=\"hist\"") && html.contains("promotes:"), "histograms and logit effects");
    }

    @Test void aMalformedSaeIsAnErrorNamingTheFile() throws Exception {
        Files.createDirectories(dir.resolve("bad"));
        Files.writeString(dir.resolve("bad/cfg.json"), "{\"architecture\": \"topk\", \"d_in\": 192}");
        Files.writeString(dir.resolve("bad/sae_weights.safetensors"), "x");
        Path text = dir.resolve("t.txt");
        Files.writeString(text, TEXT);
        var r = InspectCommandTest.run("sae", "eval", "--sae", dir.resolve("bad").toString(), "--text", text.toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("cfg.json") && r.err().contains("d_sae"), r.err());
    }

    @Test void demoStepTrainsAndReports() throws Exception {
        assumeTrue(Files.isRegularFile(Path.of(System.getProperty("user.home"), ".cache", "actlab", "brown.txt")), "the Brown corpus is not fetched");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Map<String, Object> r = new SaeDemoStep().run(new DemoContext(dir, new PrintStream(buf, true, StandardCharsets.UTF_8), 2));
        System.out.println(buf.toString(StandardCharsets.UTF_8));
        assertTrue((Double) r.get("fvu") < 0.5, r.toString());
        assertTrue((Double) r.get("ce_loss_recovered") > 0.7, r.toString());
        assertTrue(Files.exists(dir.resolve("sae-decoder/cfg.json")));
        assertTrue(Files.readString(dir.resolve("sae-decoder/features.html")).contains("feature "));
    }
}
