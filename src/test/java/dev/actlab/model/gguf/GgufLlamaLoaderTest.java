package dev.actlab.model.gguf;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.F32Matrix;
import dev.actlab.tensor.WeightMatrix;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GGUF Llama loader on the architectures and options it claims, and on files it must refuse. */
class GgufLlamaLoaderTest {
    @TempDir Path dir;

    static float[] gaussian(SplittableRandom r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * std);
        return v;
    }

    static WeightMatrix m(SplittableRandom r, int rows, int cols) { return F32Matrix.of(gaussian(r, rows * cols, 0.1), rows, cols); }

    static float[][] vs(SplittableRandom r, int layers, int n, double mean) {
        float[][] v = new float[layers][];
        for (int l = 0; l < layers; l++) { v[l] = gaussian(r, n, 0.1); for (int i = 0; i < n; i++) v[l][i] += (float) mean; }
        return v;
    }

    /** A random in-memory model of config c (with q/k/v biases when c is qwen2-style). */
    static LlamaModel randomModel(LlamaConfig c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int L = c.layers();
        WeightMatrix[] wq = new WeightMatrix[L], wk = new WeightMatrix[L], wv = new WeightMatrix[L], wo = new WeightMatrix[L];
        WeightMatrix[] g = new WeightMatrix[L], d = new WeightMatrix[L], u = new WeightMatrix[L];
        for (int l = 0; l < L; l++) {
            wq[l] = m(r, c.qDim(), c.dim()); wk[l] = m(r, c.kvDim(), c.dim()); wv[l] = m(r, c.kvDim(), c.dim()); wo[l] = m(r, c.dim(), c.qDim());
            g[l] = m(r, c.hiddenDim(), c.dim()); d[l] = m(r, c.dim(), c.hiddenDim()); u[l] = m(r, c.hiddenDim(), c.dim());
        }
        boolean bias = c.ropeHalfSplit();
        WeightMatrix embed = m(r, c.vocabSize(), c.dim());
        LlamaWeights w = new LlamaWeights(embed, vs(r, L, c.dim(), 1), wq, wk, wv, wo,
                bias ? vs(r, L, c.qDim(), 0) : null, bias ? vs(r, L, c.kvDim(), 0) : null, bias ? vs(r, L, c.kvDim(), 0) : null,
                vs(r, L, c.dim(), 1), g, d, u, gaussian(r, c.dim(), 0.1), c.tiedEmbeddings() ? embed : m(r, c.vocabSize(), c.dim()));
        return new LlamaModel(c, w, null, "random");
    }

    @Test
    void qwen2WithBiasesAndRotateHalfRopeRoundTripsBitExactly() throws Exception {
        LlamaConfig c = new LlamaConfig("qwen2", 64, 96, 2, 4, 2, 50, 64, 1e-6f, 1000000f, true, null, true);
        LlamaModel original = randomModel(c, 1);
        Path p = dir.resolve("qwen2.gguf");
        GgufLlamaWriter.export(original, DType.F32, "qwen2-test").write(p);
        LlamaModel loaded = ModelLoader.loadDecoder(p);
        assertEquals(c, loaded.config());
        assertNotNull(loaded.weights().qBias());
        int[] tokens = {3, 14, 15, 9, 2, 6};
        assertArrayEquals(original.runWithHooks(tokens, Hooks.none()), loaded.runWithHooks(tokens, Hooks.none()));
    }

    @Test
    void llama3RopeScalingSurvivesAsRopeFreqsTensorAndGivesTheSameLogits() throws Exception {
        LlamaConfig c = new LlamaConfig("llama", 64, 96, 2, 2, 1, 40, 128, 1e-5f, 500000f, false,
                new LlamaConfig.RopeScaling(32f, 1f, 4f, 8192), false);
        LlamaModel original = randomModel(c, 2);
        Path p = dir.resolve("llama3.gguf");
        GgufLlamaWriter.export(original, DType.F32, "llama3-test").write(p);
        GgufFile f = GgufFile.open(p);
        assertNotNull(f.tensor("rope_freqs.weight"));
        // as llama.cpp's converter writes it: llama.cpp aborts on rope.scaling.type "llama3" and would apply a
        // rope.scaling.factor a second time (linear scaling) on top of rope_freqs
        assertFalse(f.metadata().containsKey("llama.rope.scaling.type"));
        assertFalse(f.metadata().containsKey("llama.rope.scaling.factor"));
        LlamaModel loaded = GgufLlamaLoader.load(f);
        assertEquals(c, loaded.config());
        int[] tokens = {1, 2, 3, 4, 5, 6, 7, 8};
        assertArrayEquals(original.runWithHooks(tokens, Hooks.none()), loaded.runWithHooks(tokens, Hooks.none()));
    }

    @Test
    void unknownArchitectureAndMissingTensorsAreNamed() throws Exception {
        LlamaConfig c = new LlamaConfig("llama", 32, 64, 1, 2, 2, 16, 16, 1e-5f, 10000f, false, null, true);
        GgufWriter w = GgufLlamaWriter.export(randomModel(c, 3), DType.F32, "x");
        w.put("general.architecture", GgufValue.string("gpt2"));
        Path p = dir.resolve("gpt2.gguf");
        w.write(p);
        FormatException e = assertThrows(FormatException.class, () -> ModelLoader.loadDecoder(p));
        assertEquals("general.architecture", e.field());
        assertTrue(e.getMessage().contains("gpt2"), e.getMessage());

        GgufWriter partial = new GgufWriter();
        GgufLlamaWriter.putConfig(partial, c, "partial");
        partial.tensor("token_embd.weight", DType.F32, new long[]{32, 16}, (r, dst) -> {});
        Path q = dir.resolve("partial.gguf");
        partial.write(q);
        FormatException m = assertThrows(FormatException.class, () -> ModelLoader.loadDecoder(q));
        assertEquals("blk.0.attn_norm.weight", m.field());
        assertTrue(m.getMessage().contains("partial.gguf"), m.getMessage());
    }
}
