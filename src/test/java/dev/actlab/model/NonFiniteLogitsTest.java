package dev.actlab.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import dev.actlab.io.MappedFile;
import dev.actlab.model.eval.Perplexity;
import dev.actlab.model.eval.SavedLogits;
import dev.actlab.model.generate.Generator;
import dev.actlab.model.generate.Sampler;
import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufLlamaLoader;
import dev.actlab.model.gguf.GgufLlamaWriter;
import dev.actlab.model.hook.FiniteCheck;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.hook.NonFiniteException;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.tensor.DType;
import dev.actlab.testutil.Shared;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 23: one NaN in stories260K's tied embedding made every logit of one token NaN, and greedy
 * and sampled decoding then emitted token 0 forever (ppl printed NaN). Now logits, generation and
 * perplexity stop with a NonFiniteException naming the position; FiniteCheck names the first site.
 */
class NonFiniteLogitsTest {
    @TempDir Path dir;

    /** stories260K (llama2.c) with embedding[row][col] set to v: the embedding is tied, so logit `row` sees it at every position. */
    static LlamaModel storiesWith(int row, int col, float v) throws Exception {
        byte[] b = Files.readAllBytes(Shared.stories260K());
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putFloat(28 + 4 * (row * 64 + col), v);
        return Llama2cReader.read(MappedFile.of(Path.of("stories260K-nan.bin"), MemorySegment.ofArray(b)));
    }

    @Test
    void logitsNameThePosition() throws Exception {
        LlamaModel m = storiesWith(7, 3, Float.NaN);
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> m.runWithHooks(new int[]{1, 400, 20}, Hooks.none()));
        assertEquals("logits", e.site());
        assertEquals(0, e.position());
        assertEquals("stories260K-nan.bin: logits at position 0 is not finite: after token 1, logit 7 is NaN (1 of 512 logits are not finite):"
                + " a weight or hyperparameter of the model is NaN or infinite, or a hook wrote one (FiniteCheck.everywhere names the first site)", e.getMessage());
        // a later position: a hook writes an infinity into position 2's residual stream, and all of its logits are NaN
        LlamaModel clean = Llama2cReader.read(Shared.stories260K());
        NonFiniteException later = assertThrows(NonFiniteException.class, () -> clean.runWithHooks(new int[]{1, 400, 20},
                Hooks.of("blocks.0.hook_resid_post", a -> a.data[2 * 64 + 11] = Float.POSITIVE_INFINITY)));
        assertEquals(2, later.position());
        assertTrue(later.getMessage().contains("after token 20, logit 0 is NaN (512 of 512 logits are not finite)"), later.getMessage());
    }

    @Test
    void greedyAndSampledGenerationStopInsteadOfEmittingToken0Forever() throws Exception {
        LlamaModel m = storiesWith(400, 3, Float.NaN);
        LlamaModel clean = Llama2cReader.read(Shared.stories260K());
        // the decode step at position 5 goes non-finite (a hook stands in for an overflow deep in the model)
        Hooks atPosition5 = Hooks.of("blocks.1.hook_mlp_out", a -> { if (a.startPos == 5) a.data[0] = Float.NaN; });
        for (Sampler s : new Sampler[]{Sampler.greedy(), new Sampler(0.8f, 0.9f, 42)}) {
            java.util.List<Integer> emitted = new java.util.ArrayList<>();
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> Generator.generate(m, new int[]{1}, 64, s, Hooks.none(), emitted::add));
            assertEquals("logits", e.site());
            assertEquals(0, e.position(), "the tied embedding's NaN reaches the logits of the prompt");
            assertEquals(java.util.List.of(), emitted);

            java.util.List<Integer> decoded = new java.util.ArrayList<>();
            NonFiniteException d = assertThrows(NonFiniteException.class, () -> Generator.generate(clean, new int[]{1}, 64, s, atPosition5, decoded::add));
            assertEquals(5, d.position(), d.getMessage());
            assertEquals(5, decoded.size(), "one token per finite position, none from the NaN one: " + decoded);
        }
    }

    @Test
    void perplexityNeverReturnsNaN() throws Exception {
        LlamaModel m = storiesWith(7, 0, Float.NaN);
        int[] tokens = Shared.tokens(Shared.require("reference/stories260K/seq2.tokens.txt"));
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> Perplexity.run(m, tokens, 16, Hooks.none(), null, null, null));
        assertEquals(0, e.position());
    }

    @Test
    void savedBaseLogitsWithANaNAreAFormatException() throws Exception {
        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        int[] tokens = Shared.tokens(Shared.require("reference/stories260K/seq2.tokens.txt"));
        Path base = dir.resolve("base.f32");
        try (SavedLogits.Writer w = new SavedLogits.Writer(base, 512)) {
            Perplexity.run(m, tokens, 32, Hooks.none(), w, null, null);
            w.commit();
        }
        byte[] b = Files.readAllBytes(base);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putFloat(4 * (3 * 512 + 9), Float.NaN);
        Files.write(base, b);
        FormatException e = assertThrows(FormatException.class, () -> Perplexity.run(m, tokens, 32, Hooks.none(), null, SavedLogits.open(base), null));
        assertEquals("logits[3][9]", e.field());
        assertEquals(4L * (3 * 512 + 9), e.offset());
        assertTrue(e.getMessage().endsWith("is NaN, not a finite number"), e.getMessage());
    }

    @Test
    void finiteCheckNamesTheFirstSiteWhereANonFiniteValueAppeared() throws Exception {
        LlamaModel m = storiesWith(400, 3, Float.NaN);
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> m.runWithHooks(new int[]{1, 20, 400, 30}, FiniteCheck.everywhere(m.source())));
        assertEquals("hook_embed", e.site());
        assertEquals(2, e.position());
        assertTrue(e.getMessage().contains("hook_embed at position 2 is not finite: NaN at index 3, the first site of the forward pass"), e.getMessage());

        // a hook that writes an infinity mid-model: the check placed after it names that site and position
        LlamaModel clean = Llama2cReader.read(Shared.stories260K());
        Hooks h = Hooks.of("blocks.2.hook_mlp_out", a -> a.data[64 + 5] = Float.POSITIVE_INFINITY);   // position 1, channel 5
        h.add(s -> true, new FiniteCheck(clean.source()));
        NonFiniteException mid = assertThrows(NonFiniteException.class, () -> clean.runWithHooks(new int[]{1, 20, 30}, h));
        assertEquals("blocks.2.hook_mlp_out", mid.site());
        assertEquals(1, mid.position());
        // without the check the logits stop the run all the same
        assertThrows(NonFiniteException.class, () -> clean.runWithHooks(new int[]{1, 20, 30}, Hooks.of("blocks.2.hook_mlp_out", a -> a.data[64 + 5] = Float.NaN)));
        // masked attention scores are -Inf by design and pass the check
        assertDoesNotThrow(() -> clean.runWithHooks(new int[]{1, 20, 30, 40}, FiniteCheck.everywhere(clean.source())));
    }

    @Test
    void aNaNInAGgufEmbeddingStopsTheRunToo() throws Exception {
        Path p = dir.resolve("s.gguf");
        GgufLlamaWriter.export(Llama2cReader.read(Shared.stories260K()), DType.Q8_0, "s").write(p);
        byte[] b = Files.readAllBytes(p);
        GgufFile f = GgufFile.read(MappedFile.of(p, MemorySegment.ofArray(b)));
        // Q8_0 block: f16 scale then 32 int8; a NaN scale (0x7e00) poisons 32 values of row 9
        long at = f.tensor("token_embd.weight").fileOffset() + 9 * 2 * 34;
        b[(int) at] = 0x00; b[(int) at + 1] = 0x7e;
        LlamaModel m = GgufLlamaLoader.load(MappedFile.of(p, MemorySegment.ofArray(b)));
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> m.runWithHooks(new int[]{1, 2, 3}, Hooks.none()));
        assertEquals(0, e.position());
        assertTrue(e.getMessage().contains("logit 9 is NaN"), e.getMessage());
    }

    /** A NaN in a llama2.c norm weight is refused at load, naming the tensor, index and byte offset. */
    @Test
    void aNaNNormWeightInALlama2cFileIsAFormatException() throws Exception {
        byte[] b = Files.readAllBytes(Shared.stories260K());
        long at = 28 + 4L * (512 * 64 + 64 + 7);   // after the embedding: rms_att_weight[1][7]
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putFloat((int) at, Float.NaN);
        FormatException e = assertThrows(FormatException.class, () -> Llama2cReader.read(MappedFile.of(Path.of("s.bin"), MemorySegment.ofArray(b))));
        assertEquals("rms_att_weight[1][7]", e.field());
        assertEquals(at, e.offset());
        assertEquals("s.bin: rms_att_weight[1][7] at offset " + at + ": is NaN, not a finite number", e.getMessage());
    }
}
