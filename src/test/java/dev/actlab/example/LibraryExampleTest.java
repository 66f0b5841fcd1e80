package dev.actlab.example;

import static org.junit.jupiter.api.Assertions.*;

// --- the README's library example, from here to "end of example" ---
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.generate.Generation;
import dev.actlab.model.generate.Generator;
import dev.actlab.model.generate.Sampler;
import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.ActivationCache;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.onnx.MiniLm;
import dev.actlab.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class LibraryExampleTest {
    @Test
    void example() throws IOException {
        // A decoder: a GGUF file, a llama2.c .bin or a Hugging Face directory, chosen by content
        LlamaModel model = ModelLoader.loadDecoder(Path.of("models/actlab-brown.gguf"));

        // Tokenizer: text -> ids (BOS first) -> text
        Tokenizer tokenizer = model.tokenizer();
        int[] ids = tokenizer.encode("The jury said", true);
        String text = tokenizer.decode(ids);                              // "The jury said"

        // Generation: 16 tokens, temperature 0.8, top-p 0.9, seed 42 (same seed, same text)
        Generation g = Generator.generate(model, ids, 16, new Sampler(0.8f, 0.9f, 42), Hooks.none(), id -> {});
        System.out.println(text + g.text());

        // A cache: the residual stream after every block, by TransformerLens name
        ActivationCache cache = model.runWithCache(ids, name -> name.endsWith("hook_resid_post"));
        Activation resid = cache.get("blocks.2.hook_resid_post");        // shape [positions, d_model]
        float x = resid.get(ids.length - 1, 7);                           // channel 7 at the last position

        // A hook: zero channel 7 of layer 2's residual stream at every position; logits [positions x vocab]
        float[] logits = model.runWithHooks(ids, Hooks.of("blocks.2.hook_resid_post", a -> {
            for (int p = 0; p < a.shape[0]; p++) a.set(0f, p, 7);
        }));

        // Sentence embeddings with the built-in all-MiniLM-L6-v2 (mean pooled, L2-normalised)
        BertModel encoder = MiniLm.load();
        float[][] e = encoder.embed(List.of("A cat sits on the mat.", "A kitten rests on a rug.", "Stock prices fell sharply."));
        // --- end of example ---

        assertEquals("The jury said", text);
        assertEquals(tokenizer.bosId(), ids[0]);
        assertTrue(g.generatedTokens().length > 0 && g.generatedTokens().length <= 16);
        assertEquals(g.text(), Generator.generate(model, ids, 16, new Sampler(0.8f, 0.9f, 42), Hooks.none(), id -> {}).text());
        assertArrayEquals(new int[]{ids.length, model.dModel()}, resid.shape);
        assertTrue(Float.isFinite(x));
        assertEquals(model.layers(), cache.names().size());
        float[] plain = model.runWithHooks(ids, Hooks.none());
        assertEquals(ids.length * model.vocabSize(), logits.length);
        assertFalse(java.util.Arrays.equals(plain, logits), "the hook changed the logits");
        assertEquals(384, e[0].length);
        assertTrue(dot(e[0], e[1]) > dot(e[0], e[2]) + 0.2, dot(e[0], e[1]) + " vs " + dot(e[0], e[2]));
        assertEquals(1.0, dot(e[0], e[0]), 1e-4);
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
