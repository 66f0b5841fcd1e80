package dev.actlab.model.llama;

import dev.actlab.tensor.F32Matrix;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Llama decoders in real shapes with deterministic random F32 weights, for measuring kernels
 * without a model file. Matrices live off-heap (one allocation per tensor, freed with the model),
 * so a 5 GB "1B" fits beside the JVM's default heap. Weights are uniform in +-sqrt(3 / cols)
 * (unit-variance outputs for unit-variance inputs), norms are 1: activations stay finite.
 */
public final class RandomLlama {
    private RandomLlama() {}

    /** Random models keep at most this many positions: the KV cache of 1B's 131072 would take 8.6 GB. */
    static final int MAX_CONTEXT = 1024;

    /** The shape random:NAME names: 260K, 110M, 1B or tiny-quant; "tiny" is 260K, its name before {@link LlamaShape}. */
    public static LlamaShape shape(String name) {
        if (name.equalsIgnoreCase("tiny")) return LlamaShape.STORIES_260K;
        return LlamaShape.find(name, false).orElseThrow(() -> new IllegalArgumentException(
                "unknown random model shape '" + name + "' (known: " + LlamaShape.labels(false) + "; tiny = 260K)"));
    }

    /** The config of random:NAME: the shape with its context capped at {@value #MAX_CONTEXT} positions. */
    public static LlamaConfig config(String name) {
        LlamaShape s = shape(name);
        LlamaConfig c = s.config();
        return c.contextLength() <= MAX_CONTEXT ? c : s.config(MAX_CONTEXT, c.vocabSize());
    }

    /** A model of the given shape; the same seed gives the same weights bit for bit. */
    public static LlamaModel create(String shape, long seed) {
        LlamaConfig c = config(shape);
        return new LlamaModel(c, weights(c, seed), null, "random:" + shape);
    }

    public static LlamaWeights weights(LlamaConfig c, long seed) {
        int L = c.layers(), dim = c.dim(), hidden = c.hiddenDim();
        long[] tensor = {seed * 1_000_003L};
        WeightMatrix embed = matrix(c.vocabSize(), dim, ++tensor[0]);
        WeightMatrix[] wq = new WeightMatrix[L], wk = new WeightMatrix[L], wv = new WeightMatrix[L], wo = new WeightMatrix[L];
        WeightMatrix[] w1 = new WeightMatrix[L], w2 = new WeightMatrix[L], w3 = new WeightMatrix[L];
        float[][] attnNorm = new float[L][], ffnNorm = new float[L][];
        for (int l = 0; l < L; l++) {
            attnNorm[l] = ones(dim); ffnNorm[l] = ones(dim);
            wq[l] = matrix(c.qDim(), dim, ++tensor[0]);
            wk[l] = matrix(c.kvDim(), dim, ++tensor[0]);
            wv[l] = matrix(c.kvDim(), dim, ++tensor[0]);
            wo[l] = matrix(dim, c.qDim(), ++tensor[0]);
            w1[l] = matrix(hidden, dim, ++tensor[0]);
            w2[l] = matrix(dim, hidden, ++tensor[0]);
            w3[l] = matrix(hidden, dim, ++tensor[0]);
        }
        WeightMatrix out = c.tiedEmbeddings() ? embed : matrix(c.vocabSize(), dim, ++tensor[0]);
        return new LlamaWeights(embed, attnNorm, wq, wk, wv, wo, null, null, null, ffnNorm, w1, w2, w3, ones(dim), out);
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    private static final ValueLayout.OfFloat LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final int BLOCK = 1 << 16;   // values per independently seeded block

    /** [rows, cols] off-heap, filled block by block in parallel; each block's values depend only on (seed, block). */
    private static F32Matrix matrix(int rows, int cols, long seed) {
        long n = (long) rows * cols;
        MemorySegment seg = Arena.ofAuto().allocate(n * 4, 64);
        float bound = (float) Math.sqrt(3.0 / cols);
        int blocks = (int) ((n + BLOCK - 1) / BLOCK);
        Parallel.shared().forRange(blocks, 1, (from, to) -> {
            for (int b = from; b < to; b++) {
                long s = mix(seed * 0x9E3779B97F4A7C15L + b);
                long end = Math.min(n, (long) (b + 1) * BLOCK);
                for (long i = (long) b * BLOCK; i < end; i++) {
                    s = s * 6364136223846793005L + 1442695040888963407L;   // 64-bit LCG, top 24 bits used
                    float u = (s >>> 40) * (1f / (1 << 24));                   // [0, 1)
                    seg.setAtIndex(LE, i, (2 * u - 1) * bound);
                }
            }
        });
        return new F32Matrix(seg, rows, cols);
    }

    private static long mix(long z) {   // SplitMix64 finalizer: decorrelates neighbouring seeds
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
