package dev.actlab.model.gguf;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.onnx.MiniLm;
import dev.actlab.model.hook.Hooks;
import dev.actlab.tensor.DType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** all-MiniLM-L6-v2 written as GGUF (llama.cpp's bert layout) and read back. */
class GgufBertTest {
    static final List<String> TEXTS = List.of("A man is playing a guitar.", "Ünïcödé naïve café, 東京 and emoji 🙂!",
            "supercalifragilisticexpialidocious antidisestablishmentarianism", "", "Numbers: 3.14159, 1,000,000 and 42%.");
    static BertModel minilm;
    @TempDir static Path dir;

    @BeforeAll static void load() throws Exception { minilm = MiniLm.load(); }

    @Test
    void anF32GgufGivesTheSameTokensAndTheSameHiddenStates() throws Exception {
        Path file = dir.resolve("minilm-f32.gguf");
        GgufBertWriter.export(minilm, DType.F32, "all-MiniLM-L6-v2").write(file);
        assertTrue(ModelLoader.isEncoder(file.toString()));
        HookedModel loaded = ModelLoader.load(file.toString());
        BertModel g = assertInstanceOf(BertModel.class, loaded);
        assertEquals(minilm.config(), g.config());
        int[][] ids = new int[TEXTS.size()][];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = minilm.tokenizer().encode(TEXTS.get(i), true);
            assertArrayEquals(ids[i], g.tokenizer().encode(TEXTS.get(i), true), TEXTS.get(i));
        }
        assertArrayEquals(minilm.forward(ids, null, Hooks.none()).hidden(), g.forward(ids, null, Hooks.none()).hidden());
    }

    @Test
    void aQ8_0GgufRunsNativelyAndStaysClose() throws Exception {
        Path file = dir.resolve("minilm-q8_0.gguf");
        GgufBertWriter.export(minilm, DType.Q8_0, "all-MiniLM-L6-v2 Q8_0").write(file);
        BertModel g = ModelLoader.loadEncoder(file.toString());
        assertEquals(DType.Q8_0, g.weights().wq()[0].dtype(), "quantized matrices are executed in their stored type");
        float[][] a = minilm.embed(TEXTS), b = g.embed(TEXTS);
        for (int i = 0; i < a.length; i++) {
            double dot = 0;
            for (int k = 0; k < a[i].length; k++) dot += a[i][k] * b[i][k];
            assertTrue(dot > 0.999, "cosine " + dot + " for '" + TEXTS.get(i) + "'");
        }
    }

    /** Issue 23: a non-finite epsilon and a tensor the encoder would not use are refused; a reranker's head is ignored by name. */
    @Test
    void nonFiniteEpsilonAndUnusedTensorsAreRefused() throws Exception {
        Path nan = dir.resolve("minilm-nan-eps.gguf");
        GgufBertWriter.export(minilm, DType.F32, "x").put("bert.attention.layer_norm_epsilon", GgufValue.f32(Float.NaN)).write(nan);
        dev.actlab.io.FormatException e = assertThrows(dev.actlab.io.FormatException.class, () -> ModelLoader.loadEncoder(nan.toString()));
        assertEquals("bert.attention.layer_norm_epsilon", e.field());
        assertTrue(e.getMessage().endsWith("value NaN is not a finite number in (0.0, 1.0)"), e.getMessage());

        Path extra = dir.resolve("minilm-extra.gguf");
        GgufBertWriter.export(minilm, DType.F32, "x").tensor("blk.6.attn_q.weight", DType.F32, new long[]{384, 384}, (r, dst) -> {}).write(extra);
        dev.actlab.io.FormatException u = assertThrows(dev.actlab.io.FormatException.class, () -> ModelLoader.loadEncoder(extra.toString()));
        assertEquals("blk.6.attn_q.weight", u.field());
        assertTrue(u.getMessage().contains("is not used by the bert encoder (block_count 6)"), u.getMessage());

        Path reranker = dir.resolve("minilm-cls.gguf");
        GgufBertWriter.export(minilm, DType.F32, "x").tensor("cls.weight", DType.F32, new long[]{384, 1}, (r, dst) -> {}).write(reranker);
        assertEquals(minilm.config(), ModelLoader.loadEncoder(reranker.toString()).config());
    }

    @Test
    void aDecoderGgufIsNotAnEncoder() throws Exception {
        Path file = dir.resolve("not-bert.gguf");
        new GgufWriter().put("general.architecture", GgufValue.string("llama")).write(file);
        assertFalse(ModelLoader.isEncoder(file.toString()));
        var e = assertThrows(dev.actlab.io.FormatException.class, () -> GgufBertLoader.load(file));
        assertTrue(e.getMessage().contains("general.architecture"), e.getMessage());
    }
}
