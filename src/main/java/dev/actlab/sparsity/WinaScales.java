package dev.actlab.sparsity;

import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.tensor.WeightMatrix;

/**
 * WINA (weight-informed neuron activation): input i of a site is kept by |x[i]| * ||W[:, i]||, the
 * magnitude times the L2 norm of the weight column it multiplies, rather than by |x[i]| alone. For
 * a site that feeds several matrices (q, k, v; gate, up) the norm is over their columns stacked,
 * so the three (two) share one mask.
 */
public final class WinaScales {
    private WinaScales() {}

    /** [layer][SiteKind.ordinal()][input]: the column norms of every site. */
    public static float[][][] of(LlamaWeights w) {
        int layers = w.wq().length;
        float[][][] s = new float[layers][SiteKind.values().length][];
        for (int l = 0; l < layers; l++) {
            s[l][SiteKind.ATTN_QKV.ordinal()] = columnNorms(w.wq()[l], w.wk()[l], w.wv()[l]);
            s[l][SiteKind.ATTN_OUTPUT.ordinal()] = columnNorms(w.wo()[l]);
            s[l][SiteKind.FFN_GATE_UP.ordinal()] = columnNorms(w.wGate()[l], w.wUp()[l]);
            s[l][SiteKind.FFN_DOWN.ordinal()] = columnNorms(w.wDown()[l]);
        }
        return s;
    }

    /** sqrt(sum over the matrices and their rows of W[r, c]^2) for every column c. */
    static float[] columnNorms(WeightMatrix... ms) {
        int cols = ms[0].cols();
        double[] sq = new double[cols];
        float[] row = new float[cols];
        for (WeightMatrix m : ms) {
            if (m.cols() != cols) throw new IllegalArgumentException("matrices of one site must share their input width: " + m.cols() + " vs " + cols);
            for (int r = 0; r < m.rows(); r++) {
                m.dequantizeRow(r, row, 0);
                for (int c = 0; c < cols; c++) sq[c] += (double) row[c] * row[c];
            }
        }
        float[] n = new float[cols];
        for (int c = 0; c < cols; c++) n[c] = (float) Math.sqrt(sq[c]);
        return n;
    }
}
