package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.llama.LlamaConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    static final String TEXT = """
            Once upon a time there was a little fox who lived in the woods. Every morning the fox ran
            to the river to drink, and every evening it came home to sleep under the old oak tree.
            """.repeat(6);

    static LlamaConfig byteModel(int ctx) {
        return new LlamaConfig("llama", 32, 64, 2, 4, 2, TokenStream.BYTE_VOCAB, ctx, 1e-5f, 10000f, false, null, true);
    }

    static TrainSettings settings(int steps, long seed) {
        return new TrainSettings(4, 32, 2, 3e-3f, 3e-4f, 3, steps, 0.1f, 1f, seed);
    }

    static float[] weights(Trainer t) {
        List<Param> ps = t.model().params();
        int n = 0;
        for (Param p : ps) n += p.size();
        float[] all = new float[n];
        int off = 0;
        for (Param p : ps) { System.arraycopy(p.value(), 0, all, off, p.size()); off += p.size(); }
        return all;
    }

    static TokenStream data() { return TokenStream.ofBytes(TEXT.getBytes(StandardCharsets.UTF_8)); }

    @Test
    void aTinyModelOverfitsATinyTextToNearZeroLoss() {
        assertOverfitsATinyText(false);
    }

    /** One fixed sequence, trained on again and again: the model must memorize it. */
    static void assertOverfitsATinyText(boolean compressActivations) {
        byte[] text = "the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs.".getBytes(StandardCharsets.US_ASCII);
        int T = text.length;
        int[] in = new int[T], out = new int[T];
        in[0] = TokenStream.BYTE_BOS;
        for (int i = 0; i < T; i++) { out[i] = text[i] & 0xff; if (i > 0) in[i] = text[i - 1] & 0xff; }
        TrainModel m = new TrainModel(byteModel(T)).withActivationCompression(compressActivations);
        m.initialize(1);
        AdamW opt = AdamW.standard(m.params(), 0f);
        float first = 0, loss = 0;
        for (int step = 0; step < 150; step++) {
            m.zeroGrad();
            loss = m.forward(in, out, 1, T);
            if (step == 0) first = loss;
            m.backward(1f);
            opt.update(m.params(), 1e-2f);
        }
        assertTrue(first > 5f, "an untrained model is near log(257) = 5.55, got " + first);
        assertTrue(loss < 0.05f, "loss after 150 steps " + loss);
    }

    @Test
    void sameSeedGivesTheSameWeightsBitForBit() {
        Trainer a = Trainer.start(byteModel(32), settings(4, 9), data());
        Trainer b = Trainer.start(byteModel(32), settings(4, 9), data());
        while (!a.done()) a.step();
        while (!b.done()) b.step();
        assertArrayEquals(weights(a), weights(b));
        Trainer c = Trainer.start(byteModel(32), settings(4, 10), data());
        while (!c.done()) c.step();
        assertFalse(java.util.Arrays.equals(weights(a), weights(c)));
    }

    @Test
    void lossFallsOnHeldOutText() {
        Trainer t = Trainer.start(byteModel(32), settings(60, 3), data());
        float before = t.heldOutLoss(2);
        while (!t.done()) t.step();
        float after = t.heldOutLoss(2);
        assertTrue(after < before - 1.5f, "held-out loss " + before + " -> " + after);
    }

    @Test
    void resumingFromACheckpointEqualsAnUninterruptedRun(@TempDir Path dir) throws Exception {
        Trainer straight = Trainer.start(byteModel(32), settings(6, 5), data());
        while (!straight.done()) straight.step();

        Trainer first = Trainer.start(byteModel(32), settings(6, 5), data());
        for (int i = 0; i < 3; i++) first.step();
        Path ckpt = dir.resolve("checkpoint");
        Checkpoint.save(ckpt, first);
        Checkpoint.save(ckpt, first);   // a second save replaces the first
        assertFalse(Files.exists(dir.resolve("checkpoint.tmp")));
        assertFalse(Files.exists(dir.resolve("checkpoint.old")));

        Trainer resumed = Trainer.resume(Checkpoint.load(ckpt), data());
        assertEquals(3, resumed.stepsDone());
        assertArrayEquals(weights(first), weights(resumed));
        while (!resumed.done()) resumed.step();
        assertArrayEquals(weights(straight), weights(resumed));
    }

    @Test
    void aSaveInterruptedBetweenItsMovesStillLoads(@TempDir Path dir) throws Exception {
        Trainer t = Trainer.start(byteModel(32), settings(2, 5), data());
        t.step();
        Path ckpt = dir.resolve("checkpoint");
        Checkpoint.save(ckpt, t);
        Files.move(ckpt, dir.resolve("checkpoint.old"));   // as if the process died after moving the old one aside
        assertTrue(Checkpoint.exists(ckpt));
        assertArrayEquals(weights(t), weights(Trainer.resume(Checkpoint.load(ckpt), data())));
    }

    @Test
    void aCheckpointWhoseConfigDoesNotFitItsWeightsIsRefusedBeforeAllocating(@TempDir Path dir) throws Exception {
        Trainer t = Trainer.start(byteModel(32), settings(2, 5), data());
        Path ckpt = dir.resolve("checkpoint");
        Checkpoint.save(ckpt, t);
        Path state = ckpt.resolve("state.json");
        Files.writeString(state, Files.readString(state).replace("\"dim\" : 32", "\"dim\" : 4096"));
        var e = assertThrows(dev.actlab.io.FormatException.class, () -> Checkpoint.load(ckpt));
        assertEquals("size", e.field(), e.getMessage());
    }

    @Test
    void checkpointFilesAreSafetensorsAndCorruptOnesAreTypedErrors(@TempDir Path dir) throws Exception {
        Trainer t = Trainer.start(byteModel(32), settings(2, 5), data());
        t.step();
        Path ckpt = dir.resolve("checkpoint");
        Checkpoint.save(ckpt, t);
        var weights = dev.actlab.model.safetensors.SafetensorsFile.open(ckpt.resolve("model.safetensors"));
        assertEquals("actlab-train", weights.metadata().get("format"));
        Param emb = t.model().embedding();
        assertArrayEquals(emb.value(), weights.floats(emb.name(), t.model().config().vocabSize(), t.model().config().dim()));
        var moments = dev.actlab.model.safetensors.SafetensorsFile.open(ckpt.resolve("optimizer.safetensors"));
        assertArrayEquals(t.optimizer().secondMoment(0), moments.toFloats(moments.tensor(t.model().params().get(0).name() + ".v")));

        Path opt = ckpt.resolve("optimizer.safetensors");
        byte[] good = Files.readAllBytes(opt);
        Files.write(opt, java.util.Arrays.copyOf(good, good.length - 4));   // truncated data
        assertThrows(dev.actlab.io.FormatException.class, () -> Checkpoint.load(ckpt));
        byte[] huge = good.clone();
        java.nio.ByteBuffer.wrap(huge).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        Files.write(opt, huge);
        var e = assertThrows(dev.actlab.io.FormatException.class, () -> Checkpoint.load(ckpt));
        assertEquals("header length", e.field());
    }
}
