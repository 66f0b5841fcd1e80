package dev.actlab.quant;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.imatrix.ImatrixFile;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.RandomLlama;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.tensor.Parallel;
import dev.actlab.testutil.Shared;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * quant/Imatrix against a direct computation through other hooks: the input of q, k, v (gate, up)
 * rebuilt from the residual stream before the block (after attention) with RMS norm and the norm's
 * weight; of o, attn.hook_z; of down, silu(mlp.hook_pre) * mlp.hook_pre_linear; of the unembedding,
 * the last block's output through the final norm. Sums in double, mean over all tokens of the full chunks.
 */
class ImatrixTest {

    @Test
    void storiesValuesEqualTheDirectComputationAndDoNotDependOnThreads() throws Exception {
        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        int ctx = 40;
        int[] tokens = randomTokens(3 * ctx + 17, m.config().vocabSize(), 7);   // 3 full chunks, 17 tokens dropped
        ImatrixFile f = Imatrix.compute(m.withParallel(new Parallel(1)), tokens, ctx, "t.txt", Progress.NONE);
        checkAgainstDirect(m, f, tokens, ctx, 3);
        assertEquals(5 * 7, f.entries().size(), "7 projections x 5 layers, no output entry (embeddings tied)");
        ImatrixFile two = Imatrix.compute(m.withParallel(new Parallel(2)), tokens, ctx, "t.txt", Progress.NONE);
        for (ImatrixFile.Entry e : f.entries()) assertArrayEquals(e.values(), two.entry(e.name()).values(), e.name() + ": 1 vs 2 threads");
    }

    @Test
    void anUntiedUnembeddingGetsItsEntry() {
        LlamaModel m = RandomLlama.create("tiny-quant", 3);
        assertNotSame(m.weights().output(), m.weights().tokenEmbedding());
        int ctx = 32;
        int[] tokens = randomTokens(2 * ctx, m.config().vocabSize(), 11);
        ImatrixFile f = Imatrix.compute(m, tokens, ctx, "t", Progress.NONE);
        checkAgainstDirect(m, f, tokens, ctx, 2);
        assertEquals(m.config().layers() * 7 + 1, f.entries().size());
        assertEquals("output.weight", f.entries().get(f.entries().size() - 1).name());
    }

    @Test
    void tooFewTokensForOneChunkIsRefused() {
        LlamaModel m = RandomLlama.create("260K", 1);
        assertThrows(IllegalArgumentException.class, () -> Imatrix.compute(m, new int[10], 16, "t", Progress.NONE));
    }

    private static int[] randomTokens(int n, int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    /** The expected mean of x_j^2 per tensor name, computed from other sites, compared with f's importance. */
    private static void checkAgainstDirect(LlamaModel m, ImatrixFile f, int[] tokens, int ctx, int chunks) {
        LlamaConfig c = m.config();
        Map<String, double[]> sums = new HashMap<>();
        long[] rows = {0};
        boolean untied = m.weights().output() != m.weights().tokenEmbedding();
        for (int i = 0; i < chunks; i++) {
            Hooks h = new Hooks();
            for (int l = 0; l < c.layers(); l++) {
                final int layer = l;
                h.add("blocks." + l + ".hook_resid_pre", a -> {
                    double[] s = addNormed(sums, a.toArray(), a.shape[0], m.weights().attnNorm()[layer], c.normEps(), "blk." + layer + ".attn_q.weight");
                    sums.put("blk." + layer + ".attn_k.weight", s);
                    sums.put("blk." + layer + ".attn_v.weight", s);
                });
                h.add("blocks." + l + ".hook_resid_mid", a -> {
                    double[] s = addNormed(sums, a.toArray(), a.shape[0], m.weights().ffnNorm()[layer], c.normEps(), "blk." + layer + ".ffn_gate.weight");
                    sums.put("blk." + layer + ".ffn_up.weight", s);
                });
                h.add("blocks." + l + ".attn.hook_z", a -> addSquares(sums, a.toArray(), a.shape[0], "blk." + layer + ".attn_output.weight"));
                float[][] gate = new float[1][];
                h.add("blocks." + l + ".mlp.hook_pre", a -> gate[0] = a.toArray());
                h.add("blocks." + l + ".mlp.hook_pre_linear", a -> {
                    float[] up = a.toArray(), x = new float[up.length];
                    for (int k = 0; k < up.length; k++) { double g = gate[0][k]; x[k] = (float) (g / (1 + Math.exp(-g)) * up[k]); }
                    addSquares(sums, x, a.shape[0], "blk." + layer + ".ffn_down.weight");
                });
            }
            if (untied) h.add("blocks." + (c.layers() - 1) + ".hook_resid_post",
                    a -> addNormed(sums, a.toArray(), a.shape[0], m.weights().finalNorm(), c.normEps(), "output.weight"));
            int[] chunk = Arrays.copyOfRange(tokens, i * ctx, (i + 1) * ctx);
            m.runWithHooks(chunk, h);
            rows[0] += ctx;
        }
        assertEquals(sums.keySet(), new java.util.HashSet<>(f.entries().stream().map(ImatrixFile.Entry::name).toList()));
        assertEquals(chunks, f.chunks());
        for (ImatrixFile.Entry e : f.entries()) {
            assertEquals(chunks, e.calls(), e.name());
            double[] s = sums.get(e.name());
            float[] got = f.importance(e.name());
            assertEquals(s.length, got.length, e.name());
            double top = 0;
            for (double v : s) top = Math.max(top, v / rows[0]);
            for (int j = 0; j < s.length; j++) {
                double want = s[j] / rows[0];
                assertEquals(want, got[j], 2e-5 * Math.max(Math.abs(want), 1e-3 * top), e.name() + "[" + j + "]");
                assertEquals((float) (got[j] * chunks), e.values()[j], 1e-6f * Math.abs(e.values()[j]), e.name() + " stores calls x mean");
            }
        }
    }

    private static double[] addNormed(Map<String, double[]> sums, float[] x, int n, float[] weight, float eps, String name) {
        int cols = x.length / n;
        float[] y = new float[x.length];
        for (int t = 0; t < n; t++) {
            double ss = 0;
            for (int j = 0; j < cols; j++) ss += (double) x[t * cols + j] * x[t * cols + j];
            double inv = 1 / Math.sqrt(ss / cols + eps);
            for (int j = 0; j < cols; j++) y[t * cols + j] = (float) (x[t * cols + j] * inv * weight[j]);
        }
        return addSquares(sums, y, n, name);
    }

    private static double[] addSquares(Map<String, double[]> sums, float[] x, int n, String name) {
        int cols = x.length / n;
        double[] s = sums.computeIfAbsent(name, k -> new double[cols]);
        for (int t = 0; t < n; t++) for (int j = 0; j < cols; j++) s[j] += (double) x[t * cols + j] * x[t * cols + j];
        return s;
    }
}
