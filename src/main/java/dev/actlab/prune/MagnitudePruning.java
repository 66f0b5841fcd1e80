package dev.actlab.prune;

import dev.actlab.quant.Linear;
import dev.actlab.quant.QuantModel;

/** The baseline: in each row of every block projection, zero the weights of smallest |W_ij|. No activations. */
public final class MagnitudePruning {
    private MagnitudePruning() {}

    public static void apply(QuantModel m, PruningPattern p) {
        for (int l = 0; l < m.layers(); l++)
            for (Linear lin : Linear.values()) {
                float[] w = m.weight(l, lin);
                int rows = lin.rows(m.config()), cols = lin.cols(m.config());
                double[] score = new double[cols];
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < cols; j++) score[j] = Math.abs(w[r * cols + j]);
                    zero(w, r, cols, p.select(score, cols));
                }
            }
    }

    /** Zeroes row r of w [rows, cols] where pruned. */
    static void zero(float[] w, int r, int cols, boolean[] pruned) {
        for (int j = 0; j < cols; j++) if (pruned[j]) w[r * cols + j] = 0;
    }
}
