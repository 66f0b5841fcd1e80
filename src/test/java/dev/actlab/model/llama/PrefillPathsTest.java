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
                Rope.rotate(perCall, n, heads, hs, start, freq, halfSplit);
                Rope.rotate(table, n, heads, hs, Rope.table(n, start, freq), halfSplit);
                assertArrayEquals(perCall, table, "half split " + halfSplit + ", start " + start);
                assertFalse(java.util.Arrays.equals(x, table), "the rotation changed x");
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
}
