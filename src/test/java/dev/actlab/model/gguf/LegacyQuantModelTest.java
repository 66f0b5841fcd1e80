package dev.actlab.model.gguf;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;
import dev.actlab.testutil.Shared;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A whole real model (stories260K with its FFN cut to 160 units, {@link StoriesH160}) written in
 * Q4_1, Q5_0, Q5_1 and MXFP4 by actlab's writer (the bytes of llama-quantize --pure:
 * LegacyQuantWriterTest) runs in its stored type, and its logits equal those of the same model
 * dequantized to F32 (GgufLlamaWriter, as `actlab convert --dtype F32`) and run again. The weights
 * are the same; only the arithmetic differs (decoding inside the dot product, other summation
 * order, and for Q4_1/Q5_1 d * sum(q x) + m * sum(x), two terms that partly cancel), so they agree
 * to float32 rounding as this model amplifies it. The model amplifies a lot: quantization itself
 * moves its logits by 11 to 19 (max |logit| ~16; numpy with gguf-py's dequantizer gives the same
 * figures), so rounding differences of float32 epsilon (6e-8) per operation reach ~1e-5 of the
 * largest logit at the output (measured 3e-6 to 1.0e-5). Bound: max |diff| <= 1e-4 * max |logit|.
 * Decoding token by token gives the prefill's logits (same bound), one and two threads the same bits.
 * Independently, the logits at the last position equal those a float64 numpy forward pass computes
 * over gguf-py's dequantization of llama-quantize's own file (fixture legacy-quant-rows.gguf, from
 * src/test/python/make_legacy_quant_fixtures.py) within 1e-4 * max |logit| (measured 2e-5 to 5e-5, i.e.
 * <= 3.2e-6 relative): float32 against float64 arithmetic, amplified by the model as above, while a
 * wrong decoder moves them by whole units.
 */
class LegacyQuantModelTest {
    @TempDir Path dir;

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
    @ValueSource(strings = {"Q4_1", "Q5_0", "Q5_1", "MXFP4"})
    void wholeModelLogitsEqualTheSameModelDequantizedToF32(String type) throws Exception {
        int[] tokens = Shared.tokens(Shared.require("reference/stories260K/seq1.tokens.txt"));
        LlamaModel source = StoriesH160.load();
        Path qPath = dir.resolve(type + ".gguf"), fPath = dir.resolve(type + "-as-F32.gguf");
        GgufLlamaWriter.export(source, DType.valueOf(type), "stories260K-h160").write(qPath);
        LlamaModel q = GgufLlamaLoader.load(GgufFile.open(qPath));
        var w = q.weights();
        for (WeightMatrix m : new WeightMatrix[]{w.tokenEmbedding(), w.wq()[0], w.wk()[1], w.wv()[2], w.wo()[3], w.wGate()[4], w.wUp()[0], w.wDown()[1]})
            assertEquals(DType.valueOf(type), m.dtype(), "matrices run in their stored type, not dequantized up front");

        GgufLlamaWriter.export(q, DType.F32, type + " dequantized").write(fPath);
        LlamaModel d = GgufLlamaLoader.load(GgufFile.open(fPath));
        assertEquals(DType.F32, d.weights().wq()[0].dtype());

        float[] logits = q.forward(q.newCache(), tokens, Hooks.none(), true);   // [positions, vocab]
        float[] dequantized = d.forward(d.newCache(), tokens, Hooks.none(), true);
        float scale = maxAbs(dequantized), diff = maxAbsDiff(logits, dequantized);
        float[] original = source.forward(source.newCache(), tokens, Hooks.none(), true);
        System.out.printf("%s stories260K-h160, %d tokens: max |%s - F32 dequantized| = %.3g (max |logit| %.3g); vs the unquantized model %.3g%n",
                type, tokens.length, type, diff, scale, maxAbsDiff(logits, original));
        assertTrue(diff <= 1e-4f * scale, type + ": max |diff| = " + diff + ", max |logit| = " + scale);
        assertFalse(Arrays.equals(logits, original), type + " changes the logits of the unquantized model");

        // independent: numpy (float64) over gguf-py's dequantization of llama-quantize's file, last position
        GgufFile fx = GgufFile.open(LegacyQuantWriterTest.resource("legacy-quant-rows.gguf"));
        assertArrayEquals(tokens, (int[]) fx.metadata().get("test.stories260K_h160.tokens"));
        float[] numpy = (float[]) fx.metadata().get("test.stories260K_h160.last_logits." + type);
        int vocab = q.vocabSize(), last = tokens.length - 1;
        float vsNumpy = maxAbsDiff(Arrays.copyOfRange(logits, last * vocab, (last + 1) * vocab), numpy);
        System.out.printf("%s: max |actlab - numpy over gguf-py's dequantization of llama-quantize's file| at the last position = %.3g%n", type, vsNumpy);
        assertTrue(vsNumpy <= 1e-4f * scale, type + ": max |actlab - numpy| = " + vsNumpy);

        var cache = q.newCache();
        for (int t = 0; t < tokens.length; t++) {
            float[] step = q.forward(cache, new int[]{tokens[t]}, Hooks.none(), false);
            assertTrue(maxAbsDiff(step, Arrays.copyOfRange(logits, t * vocab, (t + 1) * vocab)) <= 1e-4f * scale, type + " decode position " + t);
        }

        Parallel saved = q.parallel();
        try (Parallel one = new Parallel(1); Parallel two = new Parallel(2)) {
            float[] a = q.withParallel(one).forward(q.newCache(), tokens, Hooks.none(), true);
            float[] b = q.withParallel(two).forward(q.newCache(), tokens, Hooks.none(), true);
            assertArrayEquals(a, b, type + ": one and two threads give the same bits");
        } finally { q.withParallel(saved); }
    }
}
