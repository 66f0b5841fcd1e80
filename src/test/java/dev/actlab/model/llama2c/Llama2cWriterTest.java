package dev.actlab.model.llama2c;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.testutil.Shared;
import dev.actlab.train.TrainModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Llama2cWriterTest {

    @Test
    void rewritingStories260KReproducesTheOriginalFile(@TempDir Path dir) throws Exception {
        Path original = Shared.stories260K();
        Path copy = dir.resolve("copy.bin");
        Llama2cWriter.write(Llama2cReader.read(original), copy);
        byte[] a = Files.readAllBytes(original), b = Files.readAllBytes(copy);
        assertEquals(a.length, b.length);
        // header and every weight byte for byte; the legacy RoPE tables (unused) only approximately
        LlamaConfig c = Llama2cReader.read(original).config();
        long ropeStart = a.length - 4L * c.contextLength() * c.headSize();
        assertArrayEquals(Arrays.copyOf(a, (int) ropeStart), Arrays.copyOf(b, (int) ropeStart));
        var fa = java.nio.ByteBuffer.wrap(a).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        var fb = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (long off = ropeStart; off < a.length; off += 4)
            assertEquals(fa.getFloat((int) off), fb.getFloat((int) off), 2e-3f, "rope table at " + off);
    }

    @Test
    void aTrainedModelWrittenAndReadBackGivesTheTrainingForwardsLogits(@TempDir Path dir) throws Exception {
        LlamaConfig c = new LlamaConfig("llama", 32, 64, 2, 4, 2, 257, 16, 1e-5f, 10000f, false, null, true);
        TrainModel m = new TrainModel(c);
        m.initialize(3);
        int[] tokens = {256, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100};
        float[] train = m.logits(tokens, 1, tokens.length).clone();
        Path file = dir.resolve("model.bin");
        Llama2cWriter.write(m.toLlamaModel("trained"), file);
        LlamaModel back = Llama2cReader.read(file);
        assertEquals(c.vocabSize(), back.config().vocabSize());
        float[] logits = back.runWithHooks(tokens, Hooks.none());
        for (int i = 0; i < train.length; i++) assertEquals(train[i], logits[i], 1e-4f, "logit " + i);
    }
}
