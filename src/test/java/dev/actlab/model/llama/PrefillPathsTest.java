package dev.actlab.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.load.ModelRef;
import dev.actlab.tensor.Parallel;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A forward pass of >= LlamaModel.PREFILL_MIN tokens rotates with a cos/sin table made once per pass and runs
 * RMSNorm over the threads when no hook listens at its sites: both give the bits of the per-call paths.
 */
class PrefillPathsTest {

    @Test
    void ropeTableRotatesAsThePerCallRotation() {
        SplittableRandom rnd = new SplittableRandom(5);
        int heads = 3, hs = 16, n = 21;
        float[] freq = new float[hs / 2];
        for (int i = 0; i < freq.length; i++) freq[i] = (float) Math.pow(10000, -2.0 * i / hs);
        for (boolean halfSplit : new boolean[]{false, true})
            for (int start : new int[]{0, 37}) {
                float[] x = new float[n * heads * hs];
                for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
                float[] perCall = x.clone(), table = x.clone();
                rotateDirectly(perCall, n, heads, hs, start, freq, halfSplit);
                Rope.rotate(table, n, heads, hs, Rope.table(n, start, freq), halfSplit);
                assertArrayEquals(perCall, table, "half split " + halfSplit + ", start " + start);
                assertFalse(java.util.Arrays.equals(x, table), "the rotation changed x");
            }
    }

    /** The rotation written out per element, cos and sin of each angle computed where it is used (the per-call rotation before the table). */
    private static void rotateDirectly(float[] x, int n, int heads, int hs, int start, float[] freq, boolean halfSplit) {
        int half = hs / 2;
        for (int t = 0; t < n; t++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < half; i++) {
                    float angle = (start + t) * freq[i];
                    float cos = (float) Math.cos(angle), sin = (float) Math.sin(angle);
                    int base = (t * heads + h) * hs, a = halfSplit ? base + i : base + 2 * i, b = halfSplit ? base + i + half : a + 1;
                    float v0 = x[a], v1 = x[b];
                    x[a] = v0 * cos - v1 * sin;
                    x[b] = v0 * sin + v1 * cos;
                }
    }

    /** Logits of a 24-token prefill then a second 20-token chunk, without hooks and with reading hooks at every norm site (the serial RMSNorm), at 1 and 2 threads. */
    @Test
    void prefillNormsGiveTheBitsOfTheSerialNorms() throws Exception {
        LlamaModel m = ModelLoader.loadDecoder(Path.of(ModelRef.DEFAULT_MODEL));
        int[] prompt = new SplittableRandom(3).ints(44, 0, m.vocabSize()).toArray();
        int[] first = java.util.Arrays.copyOf(prompt, 24), second = java.util.Arrays.copyOfRange(prompt, 24, 44);
        int[] fired = {0};
        Hooks reading = Hooks.of("*hook_normalized", a -> fired[0]++).add("*hook_scale", a -> fired[0]++);
        float[][] reference = null;
        try {
            for (int threads : new int[]{1, 2})
                try (Parallel p = new Parallel(threads)) {
                    m.withParallel(p);
                    for (Hooks h : new Hooks[]{reading, Hooks.none()}) {
                        KvCache cache = m.newCache();
                        float[][] logits = {m.forward(cache, first, h, true), m.forward(cache, second, h, false)};
                        if (h == reading) assertEquals(2 * (2 * m.layers() + 1) * 2, fired[0], "every norm site read, in both chunks");
                        fired[0] = 0;
                        if (reference == null) reference = logits;
                        else for (int i = 0; i < 2; i++) assertArrayEquals(reference[i], logits[i], "chunk " + i + ", " + threads + " threads, hooks " + (h != Hooks.none()));
                    }
                }
        } finally {
            m.withParallel(Parallel.shared());
        }
    }

    /**
     * The prefill's attention (PrefillAttention) and SiLU with exp on vector lanes and grouped matmuls, with both off, and the materialized
     * attention that a reading hook at hook_pattern selects: the same logits bit for bit, at 1 and 2 threads, over a
     * 24-token prefill, a 20-token second chunk that attends to the cache, and a decode step.
     */
    @Test
    void prefillAttentionAndSiluGiveTheBitsOfTheDecoderPaths() throws Exception {
        LlamaModel m = ModelLoader.loadDecoder(Path.of(ModelRef.DEFAULT_MODEL));
        int[] prompt = new SplittableRandom(9).ints(45, 0, m.vocabSize()).toArray();
        int[] first = java.util.Arrays.copyOf(prompt, 24), second = java.util.Arrays.copyOfRange(prompt, 24, 44), third = {prompt[44]};
        LlamaWeights w = m.weights();
        int dim = m.dModel();
        assertTrue(dev.actlab.tensor.TiledGroup.multiply(new dev.actlab.tensor.WeightMatrix[]{w.wq()[0], w.wk()[0], w.wv()[0]}, new float[24 * dim], 24,
                new float[][]{new float[24 * w.wq()[0].rows()], new float[24 * w.wk()[0].rows()], new float[24 * w.wv()[0].rows()]}, Parallel.shared()),
                "this model's q, k, v take the grouped path");
        int[] fired = {0};
        Hooks pattern = Hooks.of("*hook_pattern", a -> fired[0]++);
        float[][] reference = null;
        boolean saved = PrefillChoice.lanesExp, savedGroups = PrefillChoice.groupedMatmuls;
        try {
            for (int threads : new int[]{1, 2})
                try (Parallel p = new Parallel(threads)) {
                    m.withParallel(p);
                    for (Hooks h : new Hooks[]{pattern, Hooks.none()})
                        for (boolean lanes : new boolean[]{false, true}) {
                            PrefillChoice.lanesExp = lanes;
                            PrefillChoice.groupedMatmuls = lanes;   // q, k, v and gate, up as one region each, or one by one
                            KvCache cache = m.newCache();
                            float[][] logits = {m.forward(cache, first, h, true), m.forward(cache, second, h, true), m.forward(cache, third, h, false)};
                            if (h == pattern) assertEquals(3 * m.layers(), fired[0], "the pattern read in every layer of the three calls");
                            fired[0] = 0;
                            if (reference == null) reference = logits;
                            else for (int i = 0; i < 3; i++)
                                assertArrayEquals(reference[i], logits[i], "call " + i + ", " + threads + " threads, pattern hook " + (h == pattern) + ", lanes " + lanes);
                        }
                }
        } finally {
            PrefillChoice.lanesExp = saved;
            PrefillChoice.groupedMatmuls = savedGroups;
            m.withParallel(Parallel.shared());
        }
    }
}
