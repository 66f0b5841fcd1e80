package dev.actlab.prune;

import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.quant.Linear;
import dev.actlab.quant.QuantModel;
import dev.actlab.tensor.F32Matrix;
import dev.actlab.tensor.WeightMatrix;

/**
 * The baseline: in each row of every block projection (q, k, v, o, gate, up, down), zero the weights of
 * smallest |W_ij| under a {@link PruningPattern} (unstructured or N:M). No activations. One rule for both
 * places a model is pruned: quant's working copy ({@code actlab prune}) and a {@link LlamaModel} in memory
 * (the 2:4 matrices of the compressed kernel's tests and benchmarks).
 */
public final class MagnitudePruning {
    private MagnitudePruning() {}

    public static void apply(QuantModel m, PruningPattern p) {
        for (int l = 0; l < m.layers(); l++)
            for (Linear lin : Linear.values()) {
                float[] w = m.weight(l, lin);
                int rows = lin.rows(m.config()), cols = lin.cols(m.config());
                for (int r = 0; r < rows; r++) pruneRow(w, r * cols, cols, p);
            }
    }

    /** Zeroes the smallest-magnitude entries of row[off, off + cols) under the pattern. */
    public static void pruneRow(float[] row, int off, int cols, PruningPattern p) {
        double[] score = new double[cols];
        for (int j = 0; j < cols; j++) score[j] = Math.abs(row[off + j]);
        boolean[] pruned = p.select(score, cols);
        for (int j = 0; j < cols; j++) if (pruned[j]) row[off + j] = 0;
    }

    /** Zeroes row r of w [rows, cols] where pruned. */
    static void zero(float[] w, int r, int cols, boolean[] pruned) {
        for (int j = 0; j < cols; j++) if (pruned[j]) w[r * cols + j] = 0;
    }

    /**
     * The same decoder with every block projection pruned by magnitude, as float32 matrices on the heap
     * (dense F32 matrices whose zeros follow the pattern); the embedding, the norms and the unembedding are
     * the base's own (not copied, not converted).
     */
    public static LlamaModel prune(LlamaModel base, PruningPattern p) {
        p.check(base.config());
        LlamaWeights w = base.weights();
        LlamaWeights out = new LlamaWeights(w.tokenEmbedding(), w.attnNorm(), all(w.wq(), p), all(w.wk(), p), all(w.wv(), p), all(w.wo(), p),
                w.qBias(), w.kBias(), w.vBias(), w.ffnNorm(), all(w.wGate(), p), all(w.wDown(), p), all(w.wUp(), p), w.finalNorm(), w.output());
        return new LlamaModel(base.config(), out, base.tokenizer(), base.source() + " (magnitude " + p.label() + ")").withParallel(base.parallel());
    }

    /** A float32 copy of m with every row pruned by magnitude. */
    public static F32Matrix prune(WeightMatrix m, PruningPattern p) {
        int rows = m.rows(), cols = m.cols();
        if ((long) rows * cols > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("[" + rows + ", " + cols + "] is too large for one array");
        float[] v = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            m.dequantizeRow(r, v, r * cols);
            pruneRow(v, r * cols, cols, p);
        }
        return F32Matrix.of(v, rows, cols);
    }

    private static WeightMatrix[] all(WeightMatrix[] ms, PruningPattern p) {
        if (ms == null) return null;                    // a plain MLP has no gate
        WeightMatrix[] out = new WeightMatrix[ms.length];
        for (int i = 0; i < ms.length; i++) out[i] = prune(ms[i], p);
        return out;
    }
}
