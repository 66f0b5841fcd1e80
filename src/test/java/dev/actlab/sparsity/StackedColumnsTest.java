package dev.actlab.sparsity;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.load.ModelRef;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.F32Matrix;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * q, k, v (and gate, up) of the default decoder in one stacked input-major copy: each view gives the bits of
 * its matrix's own column kernel, at 1 and 2 threads, called in any order, and a changed input is recomputed.
 */
class StackedColumnsTest {
    static WeightMatrix as(DType t, WeightMatrix m) {
        if (t == DType.Q8_0) return SparseFormatsTest.convert(m, t);
        float[] w = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++) m.dequantizeRow(r, w, r * m.cols());
        return F32Matrix.of(w, m.rows(), m.cols());
    }

    @Test
    void eachViewEqualsItsOwnColumnKernelBitForBit() throws Exception {
        LlamaModel model = ModelLoader.loadDecoder(Path.of(ModelRef.DEFAULT_MODEL));
        LlamaWeights w = model.weights();
        for (DType t : new DType[]{DType.F32, DType.Q8_0}) {
            check(t, as(t, w.wq()[1]), as(t, w.wk()[1]), as(t, w.wv()[1]));
            check(t, as(t, w.wGate()[1]), as(t, w.wUp()[1]));
        }
    }

    private static void check(DType t, WeightMatrix... ms) {
        StackedColumns stacked = StackedColumns.of(ms);
        assertNotNull(stacked, t + " stacks");
        int cols = ms[0].cols();
        SplittableRandom r = new SplittableRandom(5);
        for (int threads : new int[]{1, 2}) {
            try (Parallel par = new Parallel(threads)) {
                for (double cut : new double[]{0.6, 1.1, 0.6}) {   // a new input, then back: each change is recomputed
                    float[] x = new float[cols + 2];
                    int[] idx = new int[cols];
                    int nnz = 0;
                    for (int c = 0; c < cols; c++) {
                        x[2 + c] = (float) r.nextGaussian();
                        if (Math.abs(x[2 + c]) >= cut) idx[nnz++] = c; else x[2 + c] = 0;
                    }
                    for (int i : new int[]{2 % ms.length, 0, 1, 0}) {   // out of order, and repeated
                        float[] own = new float[ms[i].rows()], got = new float[ms[i].rows() + 1];
                        SparseInputMatrix.ColumnKernel.build(ms[i]).gemv(x, 2, idx, nnz, own, 0, par);
                        stacked.view(i).gemv(x, 2, idx, nnz, got, 1, par);
                        assertArrayEquals(own, java.util.Arrays.copyOfRange(got, 1, got.length), 0f,
                                t + " matrix " + i + " of " + ms.length + ", " + nnz + " of " + cols + " kept, " + threads + " threads");
                    }
                }
            }
        }
        long total = 0;
        for (int i = 0; i < ms.length; i++) total += stacked.view(i).byteSize();
        assertEquals(t == DType.F32 ? 4.0 : 1.0625, (double) total / (ms.length == 3 ? ms[0].rows() + ms[1].rows() + ms[2].rows() : ms[0].rows() + ms[1].rows()) / cols, 1e-9);
    }
}
