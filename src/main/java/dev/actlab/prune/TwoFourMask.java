package dev.actlab.prune;

import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.tensor.F32Matrix;
import dev.actlab.tensor.TwoFourF32Matrix;
import dev.actlab.tensor.WeightMatrix;

/**
 * Magnitude 2:4 pruning in memory, the baseline used to make 2:4 matrices for the compressed
 * kernel's tests and benchmarks: in every group of 4 consecutive inputs of every row the 2 weights
 * of largest |w| are kept (on a tie the lower position wins) and the other 2 become exact zeros.
 * (The pruning methods with activations - Wanda, SparseGPT - and `actlab prune` are elsewhere.)
 */
public final class TwoFourMask {
    private TwoFourMask() {}

    /** Zeroes the 2 smallest-magnitude weights of each group of 4 in row[off, off + cols) (cols a multiple of 4). */
    public static void pruneRow(float[] row, int off, int cols) { TwoFourF32Matrix.keepLargestTwo(row, off, cols); }

    /** A float32 copy of m pruned 2:4 by magnitude, row-major on the heap. */
    public static F32Matrix prune(WeightMatrix m) {
        int rows = m.rows(), cols = m.cols();
        if ((long) rows * cols > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("[" + rows + ", " + cols + "] is too large for one array");
        float[] v = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            m.dequantizeRow(r, v, r * cols);
            pruneRow(v, r * cols, cols);
        }
        return F32Matrix.of(v, rows, cols);
    }

    /**
     * The same decoder with every block linear (q, k, v, o, gate, up, down) pruned 2:4 by magnitude
     * as float32 on the heap (the matrices stay dense: a plain F32 model whose zeros happen to be 2:4).
     * Embedding, norms and unembedding are untouched.
     */
    public static LlamaModel prune(LlamaModel base) {
        LlamaWeights w = base.weights();
        LlamaWeights p = new LlamaWeights(w.tokenEmbedding(), w.attnNorm(), all(w.wq()), all(w.wk()), all(w.wv()), all(w.wo()),
                w.qBias(), w.kBias(), w.vBias(), w.ffnNorm(), all(w.wGate()), all(w.wDown()), all(w.wUp()), w.finalNorm(), w.output());
        return new LlamaModel(base.config(), p, base.tokenizer(), base.source() + " (magnitude 2:4)").withParallel(base.parallel());
    }

    private static WeightMatrix[] all(WeightMatrix[] ms) {
        WeightMatrix[] out = new WeightMatrix[ms.length];
        for (int i = 0; i < ms.length; i++) out[i] = prune(ms[i]);
        return out;
    }
}
