package dev.actlab.sparsity;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.KvCache;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.model.llama.RandomLlama;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.F16Matrix;
import dev.actlab.tensor.Q4_0Matrix;
import dev.actlab.tensor.Q8_0Matrix;
import dev.actlab.tensor.WeightMatrices;
import dev.actlab.tensor.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Sparse decode with input-major copies of F16, Q8_0 and Q4_0 block weights (random tiny-quant model, the
 * block matrices converted to the format): sparsity 0 gives the dense logits bit for bit; at 50% the column
 * kernels agree with the dense kernel on the zeroed inputs.
 */
class SparseFormatsTest {
    static WeightMatrix convert(WeightMatrix m, DType t) {
        int rows = m.rows(), cols = m.cols();
        long rowBytes = t.bytesFor(cols);
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) (rows * rowBytes)]);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            m.dequantizeRow(r, row, 0);
            switch (t) {
                case F16 -> F16Matrix.quantize(row, 0, cols, seg, r * rowBytes);
                case Q8_0 -> Q8_0Matrix.quantize(row, 0, cols, seg, r * rowBytes);
                case Q4_0 -> Q4_0Matrix.quantize(row, 0, cols, seg, r * rowBytes);
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
        return WeightMatrices.of(t, seg, rows, cols);
    }

    static LlamaModel inFormat(DType t) {
        LlamaModel base = RandomLlama.create("tiny-quant", 3);
        LlamaWeights w = base.weights();
        UnaryOperator<WeightMatrix[]> c = ms -> { WeightMatrix[] o = new WeightMatrix[ms.length]; for (int i = 0; i < ms.length; i++) o[i] = convert(ms[i], t); return o; };
        LlamaWeights q = new LlamaWeights(w.tokenEmbedding(), w.attnNorm(), c.apply(w.wq()), c.apply(w.wk()), c.apply(w.wv()), c.apply(w.wo()),
                null, null, null, w.ffnNorm(), c.apply(w.wGate()), c.apply(w.wDown()), c.apply(w.wUp()), w.finalNorm(), w.output());
        return new LlamaModel(base.config(), q, null, "random:tiny-quant " + t);
    }

    @Test
    void everyFormatWithAColumnKernelDecodesSparseLikeTheZeroedDenseProduct() throws Exception {
        for (DType t : new DType[]{DType.F16, DType.Q8_0, DType.Q4_0}) {
            LlamaModel m = inFormat(t);
            CalibrationText calib = CalibrationText.of(m, null, 128);
            int[] tokens = {1, 17, 300, 42, 9, 512, 77, 3};
            // sparsity 0: the input-major copies are not even built, every product is the dense one
            SparseModel zero = SparseModel.of(m, SparsitySpec.calibrate("teal", m, calib, 0, Progress.NONE), true);
            KvCache a0 = m.newCache(), b0 = zero.model().newCache();
            for (int tok : tokens)
                assertArrayEquals(m.forward(a0, new int[]{tok}, Hooks.none(), false), zero.model().forward(b0, new int[]{tok}, Hooks.none(), false), 0f, t + " sparsity 0");
            for (String method : new String[]{"teal", "cats"}) {
                Thresholds th = SparsitySpec.calibrate(method, m, calib, 0.5, Progress.NONE);
                SparseModel fast = SparseModel.of(m, th, true), plain = SparseModel.of(m, th, false);
                assertTrue(fast.extraBytes() > 0, t + " " + method + ": an input-major copy was built");
                KvCache a = fast.model().newCache(), b = plain.model().newCache();
                double maxDiff = 0, scale = 0;
                for (int tok : tokens) {
                    float[] x = fast.model().forward(a, new int[]{tok}, Hooks.none(), false), y = plain.model().forward(b, new int[]{tok}, Hooks.none(), false);
                    for (int i = 0; i < x.length; i++) { maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i])); scale = Math.max(scale, Math.abs(y[i])); }
                }
                assertTrue(maxDiff < 1e-4 * (1 + scale), t + " " + method + ": column kernels vs zeroed dense, max |diff| " + maxDiff);
            }
        }
    }

    @Test
    void extraMemoryPerWeightIsWhatTheLayoutsCost() throws Exception {
        LlamaModel f16 = inFormat(DType.F16), q4 = inFormat(DType.Q4_0);
        long weights = 0;
        LlamaWeights w = f16.weights();
        for (int l = 0; l < f16.config().layers(); l++)
            for (WeightMatrix m : new WeightMatrix[]{w.wq()[l], w.wk()[l], w.wv()[l], w.wo()[l], w.wGate()[l], w.wUp()[l], w.wDown()[l]}) weights += (long) m.rows() * m.cols();
        CalibrationText calib = CalibrationText.of(f16, null, 64);
        assertEquals(2.0 * weights, SparseModel.of(f16, SparsitySpec.calibrate("teal", f16, calib, 0.5, Progress.NONE), true).extraBytes(), 0.0);
        double perWeight = (double) SparseModel.of(q4, SparsitySpec.calibrate("teal", q4, calib, 0.5, Progress.NONE), true).extraBytes() / weights;
        assertEquals(0.625, perWeight, 0.01, "Q4_0 input-major bytes per weight");
    }
}
