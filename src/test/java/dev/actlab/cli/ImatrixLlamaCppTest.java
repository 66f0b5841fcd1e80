package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.imatrix.ImatrixFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * actlab imatrix against llama-imatrix's legacy file (src/test/resources/llamacpp/llama-imatrix-f32.dat,
 * made by src/test/llamacpp/make_llamacpp_eval_fixtures.sh) on the same model, text and chunks: the same
 * entries in the same order, the same calls and chunk count, the values equal to float32 accumulation
 * error (llama-imatrix sums x^2 over the 2880 tokens in float, actlab in double). The token ids are the ones
 * llama.cpp evaluated (read from its perplexity base file), with BOS over each chunk's first token as
 * llama-imatrix puts it, given to --tokens-file; --text on the text gives the same values.
 */
class ImatrixLlamaCppTest {
    @TempDir Path dir;

    @Test
    void valuesEqualLlamaImatrixsToFloatAccumulationError() throws Exception {
        Path model = LlamaCppFixtures.model(dir, "F32");
        int ctx = LlamaCppFixtures.CTX;
        int[] ids = Arrays.stream(Files.readString(LlamaCppFixtures.DIR.resolve("tokens.txt")).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        for (int s = 0; s < ids.length; s += ctx) ids[s] = 1;                // BOS, as llama-imatrix writes it over each chunk's start
        Path tokens = dir.resolve("tokens.txt"), fromIds = dir.resolve("ids.dat"), fromText = dir.resolve("text.dat");
        Files.writeString(tokens, Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
        LlamaCppFixtures.run("imatrix", "--model", model.toString(), "--tokens-file", tokens.toString(), "--ctx", "" + ctx, "--out", fromIds.toString());
        String text = LlamaCppFixtures.DIR.resolve("text.txt").toString();
        String out = LlamaCppFixtures.run("imatrix", "--model", model.toString(), "--text", text, "--ctx", "" + ctx, "--out", fromText.toString());
        assertTrue(out.contains("45 chunks of 64"), out);

        ImatrixFile llama = ImatrixFile.read(LlamaCppFixtures.DIR.resolve("llama-imatrix-f32.dat"));
        ImatrixFile a = ImatrixFile.read(fromIds), t = ImatrixFile.read(fromText);
        assertEquals(45, llama.chunks());
        assertEquals(llama.chunks(), a.chunks());
        assertEquals("text.txt", llama.dataset());
        assertEquals(text, t.dataset());
        assertEquals(llama.entries().stream().map(ImatrixFile.Entry::name).toList(), a.entries().stream().map(ImatrixFile.Entry::name).toList());
        double worst = 0;
        for (ImatrixFile.Entry e : llama.entries()) {
            ImatrixFile.Entry mine = a.entry(e.name());
            assertEquals(e.calls(), mine.calls(), e.name());
            assertEquals(e.values().length, mine.values().length, e.name());
            assertArrayEquals(mine.values(), t.entry(e.name()).values(), e.name() + ": --text and --tokens-file differ");
            for (int j = 0; j < e.values().length; j++) {
                double rel = Math.abs(mine.values()[j] - e.values()[j]) / Math.abs(e.values()[j]);
                worst = Math.max(worst, rel);
                assertTrue(rel < TOLERANCE, e.name() + "[" + j + "]: llama-imatrix " + e.values()[j] + ", actlab " + mine.values()[j]);
            }
        }
        System.out.printf("imatrix vs llama-imatrix: worst relative difference %.3g%n", worst);
    }

    /** A float sum of n = 2880 squares: relative error up to about n x 2^-24 = 1.7e-4 at worst, far less in practice. */
    private static final double TOLERANCE = 1e-4;
}
