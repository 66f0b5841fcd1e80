package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.steer.ControlVector;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `actlab steer extract` and `actlab steer sweep` end to end on the default decoder. */
class SteerCommandTest {
    static final String TENSE = "src/main/resources/dev/actlab/steer/present-past.tsv";
    @TempDir Path dir;

    @Test
    void extractWritesAControlVectorAndReportsEachLayer() throws Exception {
        Path out = dir.resolve("tense.gguf");
        var r = InspectCommandTest.run("steer", "extract", "--pairs", TENSE, "--method", "caa", "--position", "mean", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(40, j.get("positives").asInt());
        assertEquals(4, j.get("layers").size());
        for (JsonNode l : j.get("layers")) assertTrue(l.get("pair_separation").asDouble() >= 0.9, l.toString());
        ControlVector v = ControlVector.read(out);
        assertEquals("llama", v.modelHint());
        assertEquals(192, v.nEmbd());
        assertEquals(j.at("/layers/0/norm").asDouble(), Math.sqrt(dot(v.direction(1))), 1e-4, "the file holds the reported vector");
    }

    static double dot(float[] a) { double s = 0; for (float x : a) s += (double) x * x; return s; }

    @Test
    void meanTakesTwoFilesOfDifferentLengthsAndPcaNeedsPairs() throws Exception {
        Path pos = dir.resolve("pos.txt"), neg = dir.resolve("neg.txt");
        Files.writeString(pos, "He is here.\nShe is at home.\nThey are happy.\n");
        Files.writeString(neg, "He was here.\nShe was at home.\n");
        var mean = InspectCommandTest.run("steer", "extract", "--positive-file", pos.toString(), "--negative-file", neg.toString(), "--method", "mean",
                "--site", "blocks.3.hook_resid_post", "--out", dir.resolve("m.gguf").toString(), "--json");
        assertEquals(0, mean.code(), mean.err());
        JsonNode j = new ObjectMapper().readTree(mean.out());
        assertFalse(j.get("paired").asBoolean());
        assertEquals(1, j.get("layers").size());
        assertTrue(j.at("/layers/0").has("auroc"));
        assertEquals(java.util.List.of(3), ControlVector.read(dir.resolve("m.gguf")).layers());
        var pca = InspectCommandTest.run("steer", "extract", "--positive-file", pos.toString(), "--negative-file", neg.toString(), "--method", "pca",
                "--out", dir.resolve("p.gguf").toString());
        assertEquals(2, pca.code());
        assertTrue(pca.err().contains("line by line"), pca.err());
    }

    @Test
    void extractRefusesSitesWhereNoControlVectorLives() {
        var r = InspectCommandTest.run("steer", "extract", "--pairs", TENSE, "--site", "blocks.*.hook_mlp_out", "--out", dir.resolve("x.gguf").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("hook_resid_post"), r.err());
        var zero = InspectCommandTest.run("steer", "extract", "--pairs", TENSE, "--site", "blocks.0.hook_resid_post", "--out", dir.resolve("x.gguf").toString());
        assertEquals(2, zero.code());
        assertTrue(zero.err().contains("never steers"), zero.err());
        assertFalse(Files.exists(dir.resolve("x.gguf")));
    }

    @Test
    void sweepMeasuresEffectAndKlPerStrength() throws Exception {
        Path cv = dir.resolve("tense.gguf");
        assertEquals(0, InspectCommandTest.run("steer", "extract", "--pairs", TENSE, "--position", "mean", "--out", cv.toString()).code());
        Path out = dir.resolve("sweep");
        var r = InspectCommandTest.run("steer", "sweep", "--vector", cv.toString(), "--control-vector-layer-range", "3", "3", "--strengths", "-4..4:4",
                "--effect", "logit_diff: is, was", "--prompt", "The old man", "--prompt", "She",
                "--neutral", "The jury said that the city of Atlanta had been praised for the manner in which the election was conducted.",
                "--max-tokens", "8", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(3, j.get("points").size());
        assertEquals("[3,3]", j.get("layer_range").toString());
        JsonNode neg = j.at("/points/0"), zero = j.at("/points/1"), pos = j.at("/points/2");
        assertEquals(0.0, zero.get("strength").asDouble());
        assertEquals(0.0, zero.get("mean_kl").asDouble(), "strength 0 is the unsteered model");
        assertEquals(j.get("unsteered_effect").asDouble(), zero.get("effect").asDouble(), 1e-12);
        assertEquals(j.get("unsteered_perplexity").asDouble(), zero.get("perplexity").asDouble(), 1e-9);
        assertTrue(neg.get("effect").asDouble() < zero.get("effect").asDouble() && zero.get("effect").asDouble() < pos.get("effect").asDouble(),
                "toward the present, is gains on was: " + j.get("points"));
        assertTrue(neg.get("mean_kl").asDouble() > 0 && pos.get("mean_kl").asDouble() > 0);
        assertEquals(2, pos.get("samples").size(), "one list of continuations per prompt");
        assertEquals(j, new ObjectMapper().readTree(out.resolve("sweep.json").toFile()));
        String html = Files.readString(out.resolve("sweep.html"));
        assertTrue(html.contains("<svg") && html.contains("effect against side effect"), "chart");
        try (var files = Files.list(out)) { assertEquals(2, files.count(), "no scratch files left behind"); }
    }

    @Test
    void nestedCommandsHaveHelp() {
        for (String[] cmd : new String[][]{{"steer", "extract"}, {"steer", "sweep"}, {"probe", "train"}}) {
            var r = InspectCommandTest.run(cmd[0], cmd[1], "--help");
            assertEquals(0, r.code(), String.join(" ", cmd) + ": " + r.err());
            assertTrue(r.out().contains("Usage: actlab " + cmd[0] + " " + cmd[1]), r.out());
        }
    }

    @Test
    void strengthsParse() {
        assertArrayEquals(new double[]{-2, -1, 0, 1, 2}, SteerSweepCommand.parseStrengths("-2..2"));
        assertArrayEquals(new double[]{-1, -0.5, 0, 0.5, 1}, SteerSweepCommand.parseStrengths("-1..1:0.5"));
        assertArrayEquals(new double[]{0, 3, 8}, SteerSweepCommand.parseStrengths("0, 3,8"));
        assertThrows(IllegalArgumentException.class, () -> SteerSweepCommand.parseStrengths("2..-2"));
        assertThrows(IllegalArgumentException.class, () -> SteerSweepCommand.parseStrengths("a..b"));
    }
}
