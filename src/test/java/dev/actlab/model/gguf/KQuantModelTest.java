package dev.actlab.model.gguf;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole models in Q4_K, Q5_K and Q6_K (src/test/resources/gguf/kquant-TYPE.gguf, written by
 * src/test/python/make_kquant_models.py with gguf-py: random valid K-quant blocks in every matrix)
 * run end to end, in their stored type, and their logits equal
 * <ul>
 * <li>those of the same model dequantized to F32 (`actlab convert --dtype F32`, i.e. GgufLlamaWriter)
 *     and run again: the same weights, only the arithmetic path differs (dequantize-in-register dot
 *     products against F32 ones; same accumulation precision), so they agree to float32 rounding:
 *     |diff| <= 1e-5 * max|logit|, a few hundred times the float32 epsilon (2^-24 ~ 6e-8) to allow for
 *     the other summation order over 256-term dots through two blocks;</li>
 * <li>the file's reference logits `test.logits`, computed outside actlab: gguf-py's numpy dequantizer
 *     and a float64 numpy Llama forward pass. actlab computes in float32, so the bound is looser:
 *     |diff| <= 1e-4 * max|logit| (measured <= 5e-7 relative; float32 rounding through the norms,
 *     softmax and 7 matmuls per block stays far below it, while a wrong scale, sub-block or
 *     offset in any dequantizer moves logits by whole percent).</li>
 * </ul>
 * Decoding token by token through the KV cache gives the same logits as the prefill, and one or two
 * threads the same bits.
 */
class KQuantModelTest {
    @TempDir Path dir;

    static Path fixture(String type) throws Exception {
        return Path.of(KQuantModelTest.class.getResource("/gguf/kquant-" + type + ".gguf").toURI());
    }

    static float maxAbs(float[] a) {
        float m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    static float maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_K", "Q5_K", "Q6_K"})
    void kQuantModelLogitsEqualTheDequantizedModelAndTheNumpyReference(String type) throws Exception {
        GgufFile f = GgufFile.open(fixture(type));
        int[] tokens = (int[]) f.metadata().get("test.tokens");
        float[] reference = (float[]) f.metadata().get("test.logits");
        LlamaModel q = GgufLlamaLoader.load(f);
        var w = q.weights();
        for (WeightMatrix m : new WeightMatrix[]{w.wq()[0], w.wk()[1], w.wv()[0], w.wo()[1], w.wGate()[0], w.wUp()[1], w.wDown()[0], w.output()})
            assertEquals(DType.valueOf(type), m.dtype(), "matrices run in their stored type");
        assertEquals(tokens.length * q.vocabSize(), reference.length);

        float[] logits = q.forward(q.newCache(), tokens, Hooks.none(), true);   // [positions, vocab]
        float scale = maxAbs(reference);
        float vsNumpy = maxAbsDiff(logits, reference);
        System.out.printf("%s model: max |actlab - numpy(gguf-py dequantized)| = %.3g (max |logit| %.3g)%n", type, vsNumpy, scale);
        assertTrue(vsNumpy <= 1e-4f * scale, type + ": max |actlab - numpy| = " + vsNumpy + ", max |logit| = " + scale);

        Path f32 = dir.resolve(type + "-as-F32.gguf");
        GgufLlamaWriter.export(q, DType.F32, type + " dequantized").write(f32);
        LlamaModel d = GgufLlamaLoader.load(GgufFile.open(f32));
        assertEquals(DType.F32, d.weights().wq()[0].dtype());
        assertEquals(DType.F32, d.weights().output().dtype());
        float vsF32 = maxAbsDiff(logits, d.forward(d.newCache(), tokens, Hooks.none(), true));
        System.out.printf("%s model: max |%s - F32 dequantized| = %.3g%n", type, type, vsF32);
        assertTrue(vsF32 <= 1e-5f * scale, type + ": max |K-quant - dequantized F32| = " + vsF32);

        // decode one token at a time (matrix-vector kernels) against the prefill (several rows at once)
        var cache = q.newCache();
        int vocab = q.vocabSize();
        for (int t = 0; t < tokens.length; t++) {
            float[] step = q.forward(cache, new int[]{tokens[t]}, Hooks.none(), false);
            float[] prefillRow = Arrays.copyOfRange(logits, t * vocab, (t + 1) * vocab);
            assertTrue(maxAbsDiff(step, prefillRow) <= 1e-5f * scale, type + " decode position " + t);
        }

        Parallel saved = q.parallel();
        try (Parallel one = new Parallel(1); Parallel two = new Parallel(2)) {
            float[] a = q.withParallel(one).forward(q.newCache(), tokens, Hooks.none(), true);
            float[] b = q.withParallel(two).forward(q.newCache(), tokens, Hooks.none(), true);
            assertArrayEquals(a, b, type + ": one and two threads give the same bits");
        } finally { q.withParallel(saved); }
    }
}
