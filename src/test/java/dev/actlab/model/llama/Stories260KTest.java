package dev.actlab.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.tensor.Parallel;
import dev.actlab.testutil.Shared;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** stories260K against the logits and greedy tokens of the C original (run.c). */
class Stories260KTest {

    static LlamaModel load() throws Exception { return Llama2cReader.read(Shared.stories260K()); }

    @ParameterizedTest
    @ValueSource(strings = {"seq1", "seq2"})
    void prefillLogitsMatchTheCOriginal(String seq) throws Exception {
        LlamaModel m = load();
        int[] tokens = Shared.tokens(Shared.require("reference/stories260K/" + seq + ".tokens.txt"));
        float[] expected = Shared.f32(Shared.require("reference/stories260K/" + seq + ".logits.f32"));
        float[] logits = m.runWithHooks(tokens, Hooks.none());
        assertEquals(expected.length, logits.length);
        assertTrue(maxAbsDiff(expected, logits) < 1e-4, "max |diff| " + maxAbsDiff(expected, logits));
    }

    @ParameterizedTest
    @ValueSource(strings = {"seq1", "seq2"})
    void stepByStepDecodeMatchesTheCOriginalAndPrefill(String seq) throws Exception {
        LlamaModel m = load();
        int[] tokens = Shared.tokens(Shared.require("reference/stories260K/" + seq + ".tokens.txt"));
        float[] expected = Shared.f32(Shared.require("reference/stories260K/" + seq + ".logits.f32"));
        float[] prefill = m.runWithHooks(tokens, Hooks.none());
        KvCache cache = m.newCache();
        int V = m.config().vocabSize();
        float[] stepwise = new float[tokens.length * V];
        for (int t = 0; t < tokens.length; t++)
            System.arraycopy(m.forward(cache, new int[]{tokens[t]}, Hooks.none(), false), 0, stepwise, t * V, V);
        assertTrue(maxAbsDiff(expected, stepwise) < 1e-4, "vs C: max |diff| " + maxAbsDiff(expected, stepwise));
        // prefill of >= 16 tokens is a GEMM (one FMA chain per output), decode a dot (two vector
        // accumulators, then the lanes): they round differently, each within the C original's 1e-4
        assertTrue(maxAbsDiff(prefill, stepwise) < 1e-4, "prefill vs decode: max |diff| " + maxAbsDiff(prefill, stepwise));
    }

    @Test
    void greedyContinuationEqualsTheCOriginal() throws Exception {
        LlamaModel m = load();
        int[] expected = Shared.tokens(Shared.require("reference/stories260K/greedy64.tokens.txt"));
        KvCache cache = m.newCache();
        int[] got = new int[expected.length];
        got[0] = expected[0];
        for (int i = 1; i < expected.length; i++) got[i] = argmax(m.forward(cache, new int[]{got[i - 1]}, Hooks.none(), false));
        assertArrayEquals(expected, got);
    }

    @Test
    void logitsAreBitIdenticalWithOneAndTwoThreads() throws Exception {
        int[] tokens = Shared.tokens(Shared.require("reference/stories260K/seq2.tokens.txt"));
        try (Parallel one = new Parallel(1); Parallel two = new Parallel(2)) {
            float[] a = load().withParallel(one).runWithHooks(tokens, Hooks.none());
            float[] b = load().withParallel(two).runWithHooks(tokens, Hooks.none());
            assertArrayEquals(a, b);
        }
    }

    static float maxAbsDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
