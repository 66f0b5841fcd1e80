package dev.actlab.model.llama2c;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.RandomLlama;
import dev.actlab.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Llama2cWriterTest {
    @Test
    void stories260KRoundTripsByteForByte(@TempDir Path dir) throws Exception {
        Path original = Shared.stories260K();
        Path copy = dir.resolve("copy.bin");
        Llama2cWriter.write(Llama2cReader.read(original), copy);
        // the legacy RoPE tables at the end are recomputed here: compare everything before them exactly
        byte[] a = Files.readAllBytes(original), b = Files.readAllBytes(copy);
        assertEquals(a.length, b.length);
        int ropeTables = 4 * 512 * 8;   // seq_len * head_size floats (tied model: nothing after them)
        assertArrayEquals(Arrays.copyOf(a, a.length - ropeTables), Arrays.copyOf(b, b.length - ropeTables));
    }

    @Test
    void aRandomModelWrittenAndReadBackGivesTheSameLogits(@TempDir Path dir) throws Exception {
        LlamaModel m = RandomLlama.create("tiny", 3);
        Path file = dir.resolve("tiny.bin");
        Llama2cWriter.write(m, file);
        int[] tokens = {1, 5, 300, 7, 511};
        assertArrayEquals(m.runWithHooks(tokens, Hooks.none()), Llama2cReader.read(file).runWithHooks(tokens, Hooks.none()));
    }
}
