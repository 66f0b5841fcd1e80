package dev.actlab.cli;

import dev.actlab.model.load.ModelRef;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.capture.ActivationStore;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `actlab probe train` on the default decoder: tense from the steering pairs, and per-token labels on a capture store. */
class ProbeCommandTest {
    @TempDir Path dir;

    @Test
    void tenseIsLinearlyReadableAndShuffledLabelsAreNot() throws Exception {
        Path out = dir.resolve("probe");
        var r = InspectCommandTest.run("probe", "train", "--pairs", SteerCommandTest.TENSE, "--position", "mean", "--control", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(80, j.get("rows").asInt());
        assertEquals(0.5, j.get("majority_share").asDouble());
        assertEquals(5, j.get("sites").size(), "blocks.0-4.hook_resid_post");
        assertTrue(j.get("folds_keep_pairs_together").asBoolean());
        double best = 0, bestAuroc = 0;
        for (JsonNode s : j.get("sites")) {
            best = Math.max(best, s.get("logistic_accuracy").asDouble());
            bestAuroc = Math.max(bestAuroc, s.get("logistic_auroc").asDouble());
            assertTrue(s.get("shuffled_labels_accuracy").asDouble() <= 0.6, "control " + s);
        }
        // 80 sentences, 64 to train on in each fold, 192 dimensions: tense is read well above chance (0.5), though not perfectly
        assertTrue(best >= 0.7 && bestAuroc >= 0.75, "tense is readable at some layer: " + j.get("sites"));
        assertTrue(Files.readString(out.resolve("probe.html")).contains("held-out accuracy against layer"));

        Path fresh = dir.resolve("fresh.tsv");   // sentences the probes never saw
        Files.writeString(fresh, "positive\tThe dog runs in the park.\nnegative\tThe dog ran in the park.\npositive\tShe is my sister.\n"
                + "negative\tShe was my sister.\npositive\tThey live in a big house.\nnegative\tThey lived in a big house.\n");
        var a = InspectCommandTest.run("probe", "apply", "--probes", out.resolve("probes.json").toString(), "--data", fresh.toString(),
                "--site", "blocks.1.hook_resid_post", "--json");
        assertEquals(0, a.code(), a.err());
        JsonNode aj = new ObjectMapper().readTree(a.out());
        assertEquals(6, aj.get("rows").size());
        assertEquals("mean", aj.get("position").asText());
        assertTrue(aj.get("accuracy").asDouble() >= 5.0 / 6, "fresh sentences: " + aj);
        var missing = InspectCommandTest.run("probe", "apply", "--probes", out.resolve("probes.json").toString(), "--text", "x", "--site", "blocks.9.hook_resid_post");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("has no probe at blocks.9.hook_resid_post"), missing.err());
        String file = Files.readString(out.resolve("probes.json"));
        Files.writeString(out.resolve("probes.json"), file.replaceFirst("\"bias\" : \\[ [^,\\]]+,", "\"bias\" : ["));
        var bad = InspectCommandTest.run("probe", "apply", "--probes", out.resolve("probes.json").toString(), "--text", "x");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("sites[0].logistic.bias") && bad.err().contains("expected an array of 2 numbers"), bad.err());
    }

    @Test
    void perTokenLabelsOnACaptureStore() throws Exception {
        String text = "He said, \"I am going home now.\" Then she said, \"We will see you in the morning.\" The men left the room quietly.\n"
                + "\"It is late,\" she said. They walked to the car and drove away. \"Good night,\" he called after them.";
        Path textFile = dir.resolve("t.txt"), store = dir.resolve("store");
        Files.writeString(textFile, text);
        assertEquals(0, InspectCommandTest.run("capture", "--text", textFile.toString(), "--sites", "blocks.*.hook_resid_post", "--out", store.toString()).code());
        LlamaModel m = ModelLoader.loadDecoder(Path.of(ModelRef.DEFAULT_MODEL));
        ActivationStore s = ActivationStore.open(store);
        List<String> labels = new ArrayList<>();
        boolean inside = false;
        for (long row = 0; row < s.rows(); row++) {   // a token is "in" when it lies inside a quotation (after an opening quote)
            String piece = m.tokenizer().decode(new int[]{s.tokenId(row)});
            labels.add(piece.contains("\"") ? "_" : inside ? "in" : "out");
            for (char c : piece.toCharArray()) if (c == '"') inside = !inside;
        }
        Path labelFile = dir.resolve("labels.txt");
        Files.write(labelFile, labels);
        var r = InspectCommandTest.run("probe", "train", "--store", store.toString(), "--labels", labelFile.toString(), "--folds", "3", "--out", dir.resolve("p").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("[\"in\",\"out\"]", j.get("classes").toString());
        assertTrue(j.get("rows").asInt() < s.rows(), "quote tokens left out");
        assertEquals(5, j.get("sites").size());
        double best = 0;
        for (JsonNode site : j.get("sites")) best = Math.max(best, site.get("logistic_auroc").asDouble());
        assertTrue(best > 0.85, "whether a token is inside a quotation is linearly readable at some layer: " + j.get("sites"));
        var applied = InspectCommandTest.run("probe", "apply", "--probes", dir.resolve("p/probes.json").toString(), "--text", "He said, \"Come in.\"", "--json");
        assertEquals(0, applied.code(), applied.err());
        JsonNode tokens = new ObjectMapper().readTree(applied.out()).at("/rows/0/tokens");
        assertEquals("token", new ObjectMapper().readTree(applied.out()).get("position").asText());
        assertTrue(tokens.size() > 5, "one prediction per token: " + tokens);
        Files.write(labelFile, labels.subList(0, labels.size() - 1));
        var bad = InspectCommandTest.run("probe", "train", "--store", store.toString(), "--labels", labelFile.toString(), "--out", dir.resolve("p").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("one label per captured token"), bad.err());
    }
}
