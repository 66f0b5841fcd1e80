package dev.actlab.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.load.ModelLoader;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.GgmlInputRounding;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.RoundedInputMatrix;
import dev.actlab.tensor.WeightMatrix;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The llama.cpp arithmetic on a real Q4_K_M file (actlab-brown quantized by llama-quantize: Q4_K and Q6_K
 * ffn_down, Q5_0 and Q8_0 elsewhere): every block matmul and the unembedding round their input by their own
 * weights' type, the embedding lookup does not, keys and values are stored as F16; the rounded products
 * equal the scalar reference (round the row, then the plain dot) and are bit-identical for 1 and 3 threads.
 */
class LlamaCppArithmeticTest {
    private static final Path Q4_K_M = Path.of("src/test/resources/llamacpp/actlab-brown-Q4_K_M.gguf");

    @Test
    void everyMatmulRoundsItsInputByItsWeightsType() throws Exception {
        LlamaModel m = ModelLoader.loadDecoder(Q4_K_M);
        LlamaWeights w = LlamaCppArithmetic.of(m).weights();
        assertSame(m.weights().tokenEmbedding(), w.tokenEmbedding(), "the embedding lookup dequantizes exactly");
        for (int l = 0; l < m.config().layers(); l++)
            for (WeightMatrix x : new WeightMatrix[]{w.wq()[l], w.wk()[l], w.wv()[l], w.wo()[l], w.wGate()[l], w.wUp()[l], w.wDown()[l]}) {
                RoundedInputMatrix r = assertInstanceOf(RoundedInputMatrix.class, x);
                assertEquals(GgmlInputRounding.forWeights(r.dtype()), r.rounding());
            }
        assertEquals(DType.Q4_K, m.weights().wDown()[0].dtype(), "the fixture's ffn_down is a K-quant");
        assertEquals(GgmlInputRounding.Q8_K, ((RoundedInputMatrix) w.wDown()[0]).rounding());
        assertEquals(GgmlInputRounding.Q8_0, ((RoundedInputMatrix) w.wq()[0]).rounding(), "Q5_0 fallback on 192-wide rows");
        assertInstanceOf(RoundedInputMatrix.class, w.output());
    }

    @Test
    void roundedProductsEqualTheScalarReferenceForAnyThreadCount() throws Exception {
        LlamaModel m = ModelLoader.loadDecoder(Q4_K_M);
        for (WeightMatrix raw : new WeightMatrix[]{m.weights().wDown()[1], m.weights().wq()[1], m.weights().output()}) {
            RoundedInputMatrix r = new RoundedInputMatrix(raw);
            int n = 37, cols = raw.cols(), rows = raw.rows();
            float[] x = new float[n * cols];
            Random rnd = new Random(3);
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian()));
            float[] before = x.clone(), one = new float[n * rows], three = new float[n * rows];
            try (Parallel p1 = new Parallel(1); Parallel p3 = new Parallel(3)) {
                r.matmul(x, n, one, p1);
                r.matmul(x, n, three, p3);
            }
            assertArrayEquals(one, three, raw.dtype() + ": 1 and 3 threads");
            assertArrayEquals(before, x, "the caller's input is not rounded in place");
            float[] row = new float[cols];
            for (int t = 0; t < n; t++) {
                System.arraycopy(x, t * cols, row, 0, cols);
                r.rounding().round(row, 0, cols);
                for (int o = 0; o < rows; o += 7) {
                    float want = raw.dotScalar(o, row, 0);
                    assertEquals(want, one[t * rows + o], 1e-4f * (1 + Math.abs(want)), raw.dtype() + " token " + t + " row " + o);
                }
            }
        }
    }

    @Test
    void logitsAreBitIdenticalForOneAndThreeThreads() throws Exception {
        int[] tokens = new int[160];
        Random rnd = new Random(5);
        for (int i = 0; i < tokens.length; i++) tokens[i] = i == 0 ? 256 : rnd.nextInt(4096);
        float[][] out = new float[2][];
        int[] threads = {1, 3};
        for (int i = 0; i < 2; i++)
            try (Parallel p = new Parallel(threads[i])) {
                LlamaModel m = LlamaCppArithmetic.of(ModelLoader.loadDecoder(Q4_K_M).withParallel(p));
                out[i] = m.forward(m.newCache(), tokens, dev.actlab.model.hook.Hooks.none(), true);
            }
        assertArrayEquals(out[0], out[1]);
    }

    @Test
    void keysAndValuesAreStoredAsF16() throws Exception {
        LlamaModel m = LlamaCppArithmetic.of(ModelLoader.loadDecoder(Q4_K_M));
        KvCache c = m.newCache();
        m.forward(c, new int[]{256, 464, 2120, 1000}, dev.actlab.model.hook.Hooks.none(), false);
        int kvDim = m.config().kvDim(), nonzero = 0;
        for (int l = 0; l < m.config().layers(); l++)
            for (int i = 0; i < 4 * kvDim; i++) {
                float k = c.keys[l][i], v = c.values[l][i];
                assertEquals(k, Float.float16ToFloat(Float.floatToFloat16(k)), "key " + i + " of layer " + l);
                assertEquals(v, Float.float16ToFloat(Float.floatToFloat16(v)), "value " + i + " of layer " + l);
                if (k != 0 && v != 0) nonzero++;
            }
        assertTrue(nonzero > m.config().layers() * 4 * kvDim / 2, "keys and values were stored");
    }
}
