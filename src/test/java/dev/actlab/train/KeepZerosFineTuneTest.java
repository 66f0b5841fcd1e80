package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufLlamaWriter;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.TwoFourCompression;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.prune.MagnitudePruning;
import dev.actlab.prune.PruningPattern;
import dev.actlab.tensor.DType;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recovery fine-tuning of the default decoder pruned 2:4 by magnitude: the zeros stay, perplexity falls. */
class KeepZerosFineTuneTest {
    private static final Path BROWN = Path.of("models/actlab-brown.gguf");

    /** English text from the resources (calibration, dialogue, neutral, evaluation: about 8 KB); the last 5% is held out. */
    private static byte[] text() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String r : new String[]{"sparsity/calibration.txt", "steer/dialogue.txt", "steer/neutral.txt", "sparsity/evaluation.txt"})
            try (InputStream in = KeepZerosFineTuneTest.class.getResourceAsStream("/dev/actlab/" + r)) { b.write(in.readAllBytes()); b.write('\n'); }
        return b.toByteArray();
    }

    /** The default decoder pruned 2:4 by magnitude in memory, written as GGUF with its tokenizer. */
    private static Path prunedBrown(Path dir) throws Exception {
        LlamaModel pruned = MagnitudePruning.prune(ModelLoader.loadDecoder(BROWN, false), PruningPattern.nm("2:4"));
        Path file = dir.resolve("brown-2-4.gguf");
        GgufWriter w = GgufLlamaWriter.export(pruned, DType.F32, "brown 2:4");
        GgufFile.open(BROWN).entries().forEach((k, v) -> { if (k.startsWith("tokenizer.")) w.put(k, v); });
        w.write(file);
        return file;
    }

    @Test
    void maskedFineTuningNeverRevivesAPrunedWeightAndLowersPerplexity(@TempDir Path dir) throws Exception {
        Path from = prunedBrown(dir);
        List<Param> original = TrainModel.from(ModelLoader.loadDecoder(from, false)).params();
        ZeroMask mask = ZeroMask.ofBlockLinears(original);
        assertEquals(mask.maskedTotal() / 2, mask.prunedCount(), "magnitude 2:4 zeroes half of every block linear (the brown weights have no zeros of their own)");

        Path out = dir.resolve("recovered");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainSettings proto = new TrainSettings(4, 32, 1, 1e-3f, 1e-4f, 2, 1, 0.1f, 1.0f, 7);
        KeepZerosFineTune.Result r = KeepZerosFineTune.run(from, text(), out, proto, 4 * 32 * 16, 4, "brown 2:4 recovered", new PrintStream(log, true));
        JsonNode j = new ObjectMapper().readTree(out.resolve("keep-zeros.json").toFile());
        assertEquals(16, j.get("steps").asInt());
        assertEquals(0, j.get("revived").asLong());
        assertTrue(j.get("two_four_before").asBoolean() && j.get("two_four_after").asBoolean());
        double before = j.get("before_perplexity").asDouble(), after = j.get("after_perplexity").asDouble();
        assertTrue(after < before, "perplexity after " + after + " should be below before " + before + "\n" + log);
        assertEquals(r.json().get("after_loss"), (float) j.get("after_loss").asDouble());

        // the exported model: exactly the original zeros, the other weights moved, and it loads compressed
        LlamaModel exported = ModelLoader.loadDecoder(out.resolve("model.gguf"), false);
        List<Param> now = TrainModel.from(exported).params();
        long moved = 0;
        for (int p = 0; p < now.size(); p++)
            for (int i = 0; i < now.get(p).size(); i++) {
                float a = original.get(p).value()[i], b = now.get(p).value()[i];
                if (mask.isPruned(p, i)) assertEquals(0f, b, 0f, now.get(p).name() + "[" + i + "] revived");
                else if (mask.of(p) != null) {
                    assertNotEquals(0f, b, now.get(p).name() + "[" + i + "] became zero");
                    if (a != b) moved++;
                }
            }
        assertTrue(moved > mask.prunedCount() / 2, "the kept weights trained (" + moved + " moved)");
        TwoFourCompression.Result c = TwoFourCompression.apply(exported);
        assertEquals(7 * exported.config().layers(), c.compressed(), "still 2:4: every block linear loads compressed");
        assertTrue(r.text(out).contains("before") && log.toString().contains("revived: 0"));
    }

    /** The mask is what keeps the zeros: the same step without it revives pruned weights (weight decay alone would not). */
    @Test
    void withoutTheMaskTheSameStepRevivesPrunedWeights() throws Exception {
        LlamaModel pruned = MagnitudePruning.prune(ModelLoader.loadDecoder(BROWN, false), PruningPattern.nm("2:4"));
        String all = new String(text(), java.nio.charset.StandardCharsets.UTF_8);
        int cut = TokenStream.heldOutStart(all);
        TokenStream data = TokenStream.ofText(pruned.tokenizer(), all.substring(0, cut), all.substring(cut));
        TrainSettings s = new TrainSettings(2, 32, 1, 1e-3f, 1e-4f, 0, 2, 0.1f, 1.0f, 7);
        TrainModel free = TrainModel.from(pruned), held = TrainModel.from(pruned);
        ZeroMask freeMask = ZeroMask.ofBlockLinears(free.params()), heldMask = ZeroMask.ofBlockLinears(held.params());
        Trainer a = Trainer.fineTune(free, s, data), b = Trainer.fineTune(held, s, data).withMask(heldMask);
        for (int i = 0; i < 2; i++) { a.step(); b.step(); }
        assertTrue(freeMask.revived(free.params()) > freeMask.prunedCount() / 2, "unmasked AdamW moves almost every pruned weight");
        assertEquals(0, heldMask.revived(held.params()));
        // moments of the held weights were never touched
        for (int p = 0; p < held.params().size(); p++)
            for (int i = 0; i < held.params().get(p).size(); i++)
                if (heldMask.isPruned(p, i)) {
                    assertEquals(0f, b.optimizer().firstMoment(p)[i], 0f);
                    assertEquals(0f, b.optimizer().secondMoment(p)[i], 0f);
                }
    }
}
