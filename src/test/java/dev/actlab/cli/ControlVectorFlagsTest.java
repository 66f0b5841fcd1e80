package dev.actlab.cli;

import dev.actlab.model.load.ModelRef;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.steer.ControlVector;
import dev.actlab.steer.Steering;
import dev.actlab.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** llama.cpp's control-vector flags on run, logits, ppl and inspect, end to end on the default decoder. */
class ControlVectorFlagsTest {
    @TempDir static Path dir;
    static Path cv, cv2, small;

    static ControlVector vector(int n, long seed, int... layers) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<Integer, float[]> d = new TreeMap<>();
        for (int l : layers) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
            d.put(l, v);
        }
        return new ControlVector("llama", n, d, "test");
    }

    @BeforeAll
    static void files() throws Exception {
        cv = dir.resolve("cv.gguf");
        vector(192, 1, 1, 2, 3, 4).write(cv);
        cv2 = dir.resolve("cv2.gguf");
        vector(192, 2, 2, 3).write(cv2);
        small = dir.resolve("small.gguf");
        vector(64, 3, 1).write(small);
    }

    static float[] logits(String... extra) throws Exception {
        Path out = Files.createTempFile(dir, "logits", ".f32");
        String[] args = {"logits", "--prompt", "The jury said that the city", "--out", out.toString()};
        String[] all = Arrays.copyOf(args, args.length + extra.length);
        System.arraycopy(extra, 0, all, args.length, extra.length);
        var r = InspectCommandTest.run(all);
        assertEquals(0, r.code(), r.err());
        return Shared.f32(out);
    }

    @Test
    void logitsWithScaleZeroAreTheUnsteeredLogitsBitForBit() throws Exception {
        float[] plain = logits();
        assertArrayEquals(plain, logits("--control-vector-scaled", cv + ":0"));
        assertFalse(Arrays.equals(plain, logits("--control-vector-scaled", cv + ":0.5")));
    }

    @Test
    void flagsMeanWhatSteeringMeans() throws Exception {
        LlamaModel m = ModelLoader.loadDecoder(Path.of(ModelRef.DEFAULT_MODEL));
        int[] ids = m.tokenizer().encode("The jury said that the city", true);
        Steering s = new Steering().add(ControlVector.read(cv), 1f).add(ControlVector.read(cv2), 1f)
                .add(ControlVector.read(cv2), -2.5f).layerRange(2, 3);
        float[] expected = m.runWithHooks(ids, s.hooks(m));
        assertArrayEquals(expected, logits("--control-vector", cv + "," + cv2, "--control-vector-scaled", cv2 + ":-2.5",
                "--control-vector-layer-range", "2", "3"));
    }

    @Test
    void runAndPplReportTheSteeringTheyApplied() throws Exception {
        var plain = InspectCommandTest.run("run", "--prompt", "The jury said", "--max-tokens", "12", "--json");
        var steered = InspectCommandTest.run("run", "--prompt", "The jury said", "--max-tokens", "12", "--json", "--control-vector-scaled", cv + ":4");
        assertEquals(0, steered.code(), steered.err());
        JsonNode j = new ObjectMapper().readTree(steered.out());
        assertEquals(cv.toString(), j.at("/steering/control_vectors/0/file").asText());
        assertEquals(4.0, j.at("/steering/control_vectors/0/scale").asDouble());
        assertEquals("[1,5]", j.at("/steering/layer_range").toString());
        assertNotEquals(new ObjectMapper().readTree(plain.out()).get("text"), j.get("text"), "steering at scale 4 changes the greedy continuation");
        assertNull(new ObjectMapper().readTree(plain.out()).get("steering"));

        Path text = dir.resolve("t.txt");
        Files.writeString(text, "The jury said that the city of Atlanta had been praised for the manner in which the election was conducted.");
        var p0 = InspectCommandTest.run("ppl", "--text", text.toString(), "--json");
        var p1 = InspectCommandTest.run("ppl", "--text", text.toString(), "--json", "--ablate-direction", cv + ":2");
        assertEquals(0, p1.code(), p1.err());
        JsonNode a = new ObjectMapper().readTree(p0.out()), b = new ObjectMapper().readTree(p1.out());
        assertEquals(cv + ":2", b.at("/steering/ablate_direction").asText());
        assertNotEquals(a.get("perplexity").asDouble(), b.get("perplexity").asDouble());
    }

    static JsonNode siteStats(Path report, String site) throws Exception {
        for (JsonNode n : new ObjectMapper().readTree(report.toFile()).get("sites"))
            if (n.get("site").asText().equals(site)) return n.get("all");
        throw new AssertionError(site + " not in " + report);
    }

    @Test
    void inspectSeesTheSteeredActivations() throws Exception {
        Path plain = dir.resolve("inspect-plain"), steered = dir.resolve("inspect-steered");
        assertEquals(0, InspectCommandTest.run("inspect", "--prompt", "The jury said that", "--out", plain.toString()).code());
        var r = InspectCommandTest.run("inspect", "--prompt", "The jury said that", "--out", steered.toString(),
                "--control-vector-scaled", cv2 + ":3", "--control-vector-layer-range", "3", "4");
        assertEquals(0, r.code(), r.err());
        assertEquals(siteStats(plain.resolve("report.json"), "blocks.2.hook_resid_post"), siteStats(steered.resolve("report.json"), "blocks.2.hook_resid_post"),
                "before the first steered layer nothing changes");
        assertNotEquals(siteStats(plain.resolve("report.json"), "blocks.3.hook_resid_post").get("mean"),
                siteStats(steered.resolve("report.json"), "blocks.3.hook_resid_post").get("mean"), "layer 3's output carries the vector");
    }

    @Test
    void captureStoresTheSteeredActivationsAndRefusesToResumeUnderOtherSteering() throws Exception {
        Path text = dir.resolve("c.txt");
        Files.writeString(text, "The jury said that the city of Atlanta had been praised.");
        Path plain = dir.resolve("cap-plain"), steered = dir.resolve("cap-steered");
        assertEquals(0, InspectCommandTest.run("capture", "--text", text.toString(), "--sites", "blocks.*.hook_resid_post", "--out", plain.toString()).code());
        var r = InspectCommandTest.run("capture", "--text", text.toString(), "--sites", "blocks.*.hook_resid_post", "--out", steered.toString(),
                "--control-vector-scaled", cv2 + ":3", "--control-vector-layer-range", "3", "3");
        assertEquals(0, r.code(), r.err());
        var a = dev.actlab.capture.ActivationStore.open(plain);
        var b = dev.actlab.capture.ActivationStore.open(steered);
        assertEquals(a.rows(), b.rows());
        float[] v = ControlVector.read(cv2).direction(3);
        for (long row = 0; row < a.rows(); row++) {
            float[] x2 = new float[192], y2 = new float[192], x3 = new float[192], y3 = new float[192];
            a.row("blocks.2.hook_resid_post", row, x2, 0); b.row("blocks.2.hook_resid_post", row, y2, 0);
            a.row("blocks.3.hook_resid_post", row, x3, 0); b.row("blocks.3.hook_resid_post", row, y3, 0);
            assertArrayEquals(x2, y2, "layer 2 is before the vector");
            float[] expected = x3.clone();
            for (int i = 0; i < 192; i++) expected[i] += 3f * v[i];
            assertArrayEquals(expected, y3, "layer 3's output carries 3 x direction.3");
        }
        assertTrue(b.manifest().steering.contains("cv2.gguf:3.0") && b.manifest().steering.contains("3..3"), b.manifest().steering);
        assertNull(a.manifest().steering);
        var resume = InspectCommandTest.run("capture", "--text", text.toString(), "--sites", "blocks.*.hook_resid_post", "--out", steered.toString());
        assertEquals(2, resume.code());
        assertTrue(resume.err().contains("other steering"), resume.err());
    }

    @Test
    void badVectorsAreOneLineErrorsNamingTheFile() throws Exception {
        var r = InspectCommandTest.run("run", "--prompt", "The jury said", "--control-vector", small.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains(small.toString()) && r.err().contains("direction.1") && r.err().contains("n_embd 64"), r.err());
        var w = InspectCommandTest.run("run", "--prompt", "The jury said", "--ablate-direction", small.toString());
        assertEquals(2, w.code());
        assertTrue(w.err().contains(small + ": direction.1 at offset 0: has 64 values"), w.err());
        var a = InspectCommandTest.run("run", "--prompt", "The jury said", "--ablate-direction", cv.toString());
        assertEquals(2, a.code());
        assertTrue(a.err().contains("choose one as FILE:N"), a.err());
        var s = InspectCommandTest.run("run", "--prompt", "The jury said", "--control-vector-scaled", cv.toString());
        assertEquals(2, s.code());
        assertTrue(s.err().contains("FILE:SCALE"), s.err());
        var range = InspectCommandTest.run("run", "--prompt", "The jury said", "--control-vector", cv2.toString(), "--control-vector-layer-range", "4", "5");
        assertEquals(2, range.code());
        assertTrue(range.err().contains("leaves out every layer"), range.err());
    }

    @Test
    void helpStatesTheSemantics() {
        var r = InspectCommandTest.run("run", "--help");
        String help = r.out().replaceAll("\\s+", " ");
        assertTrue(help.contains("blocks.N.hook_resid_post") && help.contains("--control-vector-layer-range") && help.contains("x - (x.v)v"), help);
    }
}
