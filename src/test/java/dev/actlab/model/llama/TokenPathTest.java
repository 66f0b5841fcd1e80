package dev.actlab.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.load.ModelRef;
import dev.actlab.tensor.KernelChoice;
import dev.actlab.tensor.Parallel;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Decode's per-token paths outside the matmuls (issue 20, branch tokenpath) give the bits of the paths they
 * replaced, at 1 and 2 threads, on the default decoder: decode attention through AttentionRows in even chunks
 * ({@link KernelChoice#decodeAttention}) against one key at a time, and against the materialized [heads, n, T]
 * path that a reading hook at hook_pattern forces (an independent route through scores, softmax and mix).
 * The prompt is long enough (90 positions) that small chunk sizes split the 6 heads into 2, 4 or 6 chunks.
 */
class TokenPathTest {
    private static final int[] PROMPT = new SplittableRandom(20).ints(90, 3, 4000).toArray();

    @Test
    void decodeAttentionGivesTheBitsOfTheOldPathAndOfTheHookedPath() throws Exception {
        LlamaModel m = ModelLoader.loadDecoder(Path.of(ModelRef.DEFAULT_MODEL));
        assertTrue(m.config().headSize() >= Attention.VECTOR_MIN, "the default decoder's heads take the decode kernels");
        boolean saved = KernelChoice.decodeAttention;
        long work = Attention.decodeChunkWork;
        try {
            float[][] reference = null;
            for (int threads : new int[]{1, 2}) {
                try (Parallel p = new Parallel(threads)) {
                    m.withParallel(p);
                    for (long chunkWork : new long[]{0, Attention.decodeChunkWork, 1 << 10, 1 << 12}) {   // 0: the old path
                        KernelChoice.decodeAttention = chunkWork != 0;
                        if (chunkWork != 0) Attention.decodeChunkWork = chunkWork;
                        float[][] logits = decode(m, Hooks.none());
                        if (reference == null) reference = logits;
                        else for (int s = 0; s < logits.length; s++)
                            assertArrayEquals(reference[s], logits[s], "decode chunks of " + chunkWork + " multiply-adds, " + threads + " threads, step " + s);
                    }
                    Attention.decodeChunkWork = work;
                    KernelChoice.decodeAttention = true;
                    int[] seen = new int[1];
                    float[][] hooked = decode(m, Hooks.of("blocks.1.attn.hook_pattern", a -> seen[0]++));
                    assertTrue(seen[0] > 0, "the hook fired");
                    for (int s = 0; s < hooked.length; s++) assertArrayEquals(reference[s], hooked[s], "materialized path, " + threads + " threads, step " + s);
                }
            }
        } finally {
            KernelChoice.decodeAttention = saved;
            Attention.decodeChunkWork = work;
            m.withParallel(Parallel.shared());
        }
    }

    /** Prefill of the prompt, then 5 greedy decode steps; returns every step's logits. */
    private static float[][] decode(LlamaModel m, Hooks hooks) {
        KvCache cache = m.newCache();
        float[][] out = new float[6][];
        out[0] = m.forward(cache, PROMPT, hooks, false);
        for (int s = 1; s < out.length; s++) {
            float[] logits = out[s - 1];
            int best = 0;
            for (int v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
            out[s] = m.forward(cache, new int[]{best}, hooks, false);
        }
        return out;
    }
}
