package dev.actlab.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufLlamaWriter;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.prune.MagnitudePruning;
import dev.actlab.prune.PruningPattern;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.F32Matrix;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.TwoFourF32Matrix;
import dev.actlab.tensor.WeightMatrix;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default decoder pruned 2:4 by magnitude, run dense and compressed; the loader's detection. */
class TwoFourModelTest {
    private static final Path BROWN = Path.of("models/actlab-brown.gguf");

    private static WeightMatrix[][] blocks(LlamaWeights w) {
        return new WeightMatrix[][]{w.wq(), w.wk(), w.wv(), w.wo(), w.wGate(), w.wUp(), w.wDown()};
    }

    /**
     * Logits of the compressed model against the same pruned weights run dense. Each matmul output
     * differs only by the order of its float sums (a few units in the last place, see
     * TwoFourF32MatrixTest); through 5 blocks, attention and the unembedding that stays below 1e-4
     * of the largest logit. Tolerance: |dense - compressed| <= 2e-4 * max|logit| at every position
     * and vocabulary entry, and the same top token everywhere.
     */
    @Test
    void compressedModelGivesTheDenseLogitsOfThePrunedWeights() throws Exception {
        LlamaModel pruned = MagnitudePruning.prune(ModelLoader.loadDecoder(BROWN, false), PruningPattern.nm("2:4"));
        TwoFourCompression.Result r = TwoFourCompression.apply(pruned);
        int layers = pruned.config().layers();
        assertEquals(7 * layers, r.compressed());
        assertEquals(7 * layers, r.candidates());
        for (WeightMatrix[] ms : blocks(r.model().weights())) for (WeightMatrix m : ms) assertInstanceOf(TwoFourF32Matrix.class, m);
        assertSame(pruned.weights().output(), r.model().weights().output(), "the unembedding stays as loaded");
        assertTrue(r.compressedBytes() < 0.57 * r.denseBytes() && r.savedBytes() > 0, "9 bytes per 4 inputs, not 16");

        int[] tokens = pruned.tokenizer().encode("The jury said that the city had been well run, and the mayor agreed.", true);
        int V = pruned.config().vocabSize();
        for (int threads : new int[]{1, 2}) {
            try (Parallel p = new Parallel(threads)) {
                pruned.withParallel(p);
                r.model().withParallel(p);
                float[] dense = pruned.runWithHooks(tokens, Hooks.none());
                float[] comp = r.model().runWithHooks(tokens, Hooks.none());
                float max = 0;
                for (float v : dense) max = Math.max(max, Math.abs(v));
                for (int i = 0; i < dense.length; i++)
                    assertEquals(dense[i], comp[i], 2e-4f * max, "position " + i / V + ", token " + i % V + " (" + threads + " threads)");
                for (int t = 0; t < tokens.length; t++) assertEquals(argmax(dense, t * V, V), argmax(comp, t * V, V), "top token at " + t);
                // decode one token at a time gives the prefill's bits (each output is one dot in a fixed order)
                KvCache cache = r.model().newCache();
                float[] last = null;
                for (int t : tokens) last = r.model().forward(cache, new int[]{t}, Hooks.none(), false);
                float[] lastPrefill = r.model().lastLogits(tokens, Hooks.none());
                assertArrayEquals(lastPrefill, last, 0f);
            }
        }
        assertNotEquals(0, maxDiff(pruned, r.model(), tokens), "the orders differ: the test would see a path that is not the compressed one");
    }

    private static float maxDiff(LlamaModel a, LlamaModel b, int[] tokens) {
        float[] x = a.runWithHooks(tokens, Hooks.none()), y = b.runWithHooks(tokens, Hooks.none());
        float d = 0;
        for (int i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
        return d;
    }

    private static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (v[off + i] > v[off + best]) best = i;
        return best;
    }

    @Test
    void loaderCompressesExactlyTheTwoFourMatrices(@TempDir Path dir) throws Exception {
        LlamaModel pruned = MagnitudePruning.prune(ModelLoader.loadDecoder(BROWN, false), PruningPattern.nm("2:4"));
        // blk.1.ffn_up: one group (row 3, inputs 4..7) gets a third non-zero
        F32Matrix up = (F32Matrix) pruned.weights().wUp()[1];
        float[] values = new float[up.rows() * up.cols()];
        for (int row = 0; row < up.rows(); row++) up.dequantizeRow(row, values, row * up.cols());
        int at = 3 * up.cols() + 4;
        for (int i = 0; i < 4; i++) values[at + i] = i < 3 ? 0.01f * (i + 1) : 0f;
        pruned.weights().wUp()[1] = F32Matrix.of(values, up.rows(), up.cols());

        Path file = dir.resolve("brown-2-4.gguf");
        GgufWriter w = GgufLlamaWriter.export(pruned, DType.F32, "brown 2:4");
        GgufFile.open(BROWN).entries().forEach((k, v) -> { if (k.startsWith("tokenizer.")) w.put(k, v); });
        w.write(file);

        LlamaModel loaded = ModelLoader.loadDecoder(file);
        LlamaWeights lw = loaded.weights();
        int compressed = 0;
        for (WeightMatrix[] ms : blocks(lw)) for (WeightMatrix m : ms) if (m instanceof TwoFourF32Matrix) compressed++;
        assertEquals(7 * loaded.config().layers() - 1, compressed);
        assertInstanceOf(F32Matrix.class, lw.wUp()[1], "the matrix with a group of 3 non-zeros stays dense");
        assertInstanceOf(TwoFourF32Matrix.class, lw.wUp()[0]);
        assertFalse(lw.output() instanceof TwoFourF32Matrix, "the unembedding is read whole");

        for (WeightMatrix[] ms : blocks(ModelLoader.loadDecoder(file, false).weights())) for (WeightMatrix m : ms) assertInstanceOf(F32Matrix.class, m);
        String old = System.getProperty(TwoFourCompression.PROPERTY);
        System.setProperty(TwoFourCompression.PROPERTY, "off");
        try {
            assertInstanceOf(F32Matrix.class, ModelLoader.loadDecoder(file).weights().wq()[0], "-Dactlab.twoFour=off keeps it dense");
        } finally {
            if (old == null) System.clearProperty(TwoFourCompression.PROPERTY); else System.setProperty(TwoFourCompression.PROPERTY, old);
        }
        // the dense original has no 2:4 matrix: nothing changes
        TwoFourCompression.Result none = TwoFourCompression.apply(ModelLoader.loadDecoder(BROWN, false));
        assertEquals(0, none.compressed());
        assertEquals(7 * loaded.config().layers(), none.candidates());
    }
}
