package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.train.Checkpoint;
import dev.actlab.train.DynamicsReference;
import dev.actlab.train.TokenStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `actlab train` writes dynamics.jsonl at every checkpoint; `actlab inspect --checkpoints` plots it. */
class DynamicsCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir static Path dir;
    static Path corpus, a;

    @BeforeAll
    static void train() throws Exception {
        corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, TrainCommandTest.TEXT, StandardCharsets.UTF_8);
        a = dir.resolve("a");
        TrainCommandTest.Result r = TrainCommandTest.run(TrainCommandTest.args(corpus, a, "--save-every", "5"));
        assertEquals(0, r.code(), r.err());
    }

    static List<JsonNode> lines(Path run) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(run.resolve("dynamics.jsonl"))) out.add(JSON.readTree(l));
        return out;
    }

    /** The probe rebuilt from the corpus: 4 evenly spaced held-out windows of --ctx 32. */
    static int[][] probe() {
        TokenStream data = TokenStream.ofBytes(TrainCommandTest.TEXT.getBytes(StandardCharsets.UTF_8));
        int[] in = data.heldOutBatch(0, 1, 4, 32).inputs();
        int[][] seqs = new int[4][];
        for (int s = 0; s < 4; s++) seqs[s] = java.util.Arrays.copyOfRange(in, s * 32, s * 32 + 32);
        return seqs;
    }

    @Test
    void oneLinePerCheckpointWhoseFiguresEqualADirectComputationOnTheCheckpointedWeights() throws Exception {
        List<JsonNode> lines = lines(a);
        assertEquals(List.of(0L, 5L, 10L, 15L, 20L), lines.stream().map(n -> n.get("step").asLong()).toList());
        assertEquals(20 * 4 * 32, lines.getLast().get("tokens").asLong());
        var last = Checkpoint.load(a.resolve("checkpoint")).model().toLlamaModel("step 20");
        DynamicsReference.assertMatches(DynamicsReference.compute(last, probe(), 100, 1000), lines.getLast().get("layers"));
        assertNotEquals(lines.get(0).get("layers").toString(), lines.getLast().get("layers").toString(), "training changes the residual stream");

        // a run stopped at step 7: its line for step 7 matches that checkpoint; resumed, its other lines equal the uninterrupted run's
        Path b = dir.resolve("b");
        assertEquals(0, TrainCommandTest.run(TrainCommandTest.args(corpus, b, "--save-every", "5", "--stop-after", "7")).code());
        var at7 = Checkpoint.load(b.resolve("checkpoint")).model().toLlamaModel("step 7");
        List<JsonNode> stopped = lines(b);
        assertEquals(7, stopped.getLast().get("step").asLong());
        DynamicsReference.assertMatches(DynamicsReference.compute(at7, probe(), 100, 1000), stopped.getLast().get("layers"));
        assertEquals(0, TrainCommandTest.run(TrainCommandTest.args(corpus, b, "--save-every", "5", "--resume")).code());
        List<String> resumed = Files.readAllLines(b.resolve("dynamics.jsonl")), whole = Files.readAllLines(a.resolve("dynamics.jsonl"));
        assertEquals(whole.size() + 1, resumed.size());
        assertEquals(whole, resumed.stream().filter(l -> !l.startsWith("{\"step\":7,")).toList());
    }

    @Test
    void recordingDoesNotChangeTraining_theWeightsAreBitIdenticalWithout() throws Exception {
        Path c = dir.resolve("c");
        assertEquals(0, TrainCommandTest.run(TrainCommandTest.args(corpus, c, "--save-every", "5", "--probe-sequences", "0")).code());
        assertFalse(Files.exists(c.resolve("dynamics.jsonl")));
        for (String f : List.of("checkpoint/model.safetensors", "checkpoint/optimizer.safetensors", "model.bin"))
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(c.resolve(f)), f);
    }

    @Test
    void inspectCheckpointsWritesTheChartsAndASummary() throws Exception {
        Path out = dir.resolve("dyn");
        TrainCommandTest.Result r = TrainCommandTest.run("inspect", "--checkpoints", a.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("5 checkpoints, steps 0..20") && r.out().contains("layer 1: max|x|"), r.out());
        String html = Files.readString(out.resolve("dynamics.html"));
        assertEquals(4, count(html, "<svg"), "max|x|, kurtosis, ratio and massive-count charts");
        assertEquals(2 * 5, count(html.substring(html.indexOf("class=\"topchannels\"")), "class=\"lens\""), "top-channel cells: layers x checkpoints");
        JsonNode j = JSON.readTree(out.resolve("dynamics.json").toFile());
        assertEquals(5, j.get("checkpoints").size());
        assertEquals(lines(a).getLast().get("layers"), j.get("checkpoints").get(4).get("layers"));

        TrainCommandTest.Result none = TrainCommandTest.run("inspect", "--checkpoints", dir.toString());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("has no dynamics.jsonl"), none.err());
        assertFalse(none.err().contains("Exception"), none.err());
    }

    @Test
    void theDynamicsPageRendersInHeadlessChromium() throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        assumeTrue(Files.isExecutable(chromium), "skipped: " + chromium + " is absent");
        Path out = dir.resolve("render");
        assertEquals(0, TrainCommandTest.run("inspect", "--checkpoints", a.toString(), "--out", out.toString()).code());
        Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + Files.createTempDirectory(dir, "profile"), "--dump-dom",
                out.resolve("dynamics.html").toUri().toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        ByteArrayOutputStream dom = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> { try (InputStream in = p.getInputStream()) { in.transferTo(dom); } catch (java.io.IOException ignored) {} });
        if (!p.waitFor(120, TimeUnit.SECONDS)) { p.destroyForcibly(); fail("chromium did not finish in 120 s"); }
        reader.join();
        String d = dom.toString(StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("<svg\\b.*?</svg>", Pattern.DOTALL).matcher(d);
        int svgs = 0;
        while (m.find()) {
            svgs++;
            String svg = m.group();
            assertEquals(2, count(svg, "<polyline"), "one line per layer");
            assertEquals(2 * 5, count(svg, "<circle"), "one dot per layer and checkpoint");
            assertFalse(svg.matches("(?s).*=\"[^\"]*(NaN|Infinity)[^\"]*\".*"), "a coordinate is NaN or infinite");
        }
        assertEquals(4, svgs, "charts in the DOM");
        assertFalse(d.replaceAll("<[^>]+>", " ").contains("NaN"), "page text contains NaN");
    }

    static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + needle.length())) n++;
        return n;
    }
}
