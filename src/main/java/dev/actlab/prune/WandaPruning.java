package dev.actlab.prune;

import dev.actlab.io.Progress;
import dev.actlab.quant.Calibration;
import dev.actlab.quant.Linear;
import dev.actlab.quant.QuantModel;
import java.util.EnumSet;

/**
 * Wanda (Sun et al. 2024, "A Simple and Effective Pruning Approach for Large Language Models"): score
 * each weight by |W_ij| * ||X_j||_2, X_j the j-th input of the projection over every calibration token,
 * and zero the lowest scores within each output row (each row of the GGUF matrix). No weight is updated.
 * Layer by layer, as the paper's code does: layer L's inputs come from the calibration windows run through
 * layers 0..L-1 already pruned (within a layer every projection sees the layer's dense inputs).
 */
public final class WandaPruning {
    private WandaPruning() {}

    public static void apply(QuantModel m, PruningPattern p, Calibration calib, Progress progress) {
        int L = m.layers();
        long W = calib.windows();
        for (int l = 0; l < L; l++) {
            final long before = l * W;
            double[][] sumSq = inputSquares(m, l, calib, (done, all) -> progress.update(before + done, L * W));
            for (Linear lin : Linear.values()) prune(m.weight(l, lin), lin.rows(m.config()), lin.cols(m.config()), norms(sumSq[lin.ordinal()]), p);
        }
    }

    /** Per projection of a layer, the sum over calibration tokens of x_j^2 for each input j ([Linear][cols], double). */
    static double[][] inputSquares(QuantModel m, int layer, Calibration calib, Progress progress) {
        double[][] s = new double[Linear.values().length][];
        for (Linear lin : Linear.values()) s[lin.ordinal()] = new double[lin.cols(m.config())];
        calib.collect(m, layer, layer, EnumSet.allOf(Linear.class), (ly, lin, x, n, cols) -> {
            double[] acc = s[lin.ordinal()];
            for (int t = 0; t < n; t++) for (int j = 0; j < cols; j++) { double v = x[t * cols + j]; acc[j] += v * v; }
        }, progress);
        return s;
    }

    /** ||X_j||_2 from the sums of squares. */
    static double[] norms(double[] sumSq) {
        double[] n = new double[sumSq.length];
        for (int j = 0; j < n.length; j++) n[j] = Math.sqrt(sumSq[j]);
        return n;
    }

    /** Zeroes the lowest |W_ij| * norm_j of each row of w [rows, cols] under the pattern. */
    public static void prune(float[] w, int rows, int cols, double[] norm, PruningPattern p) {
        double[] score = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) score[j] = Math.abs(w[r * cols + j]) * norm[j];
            MagnitudePruning.zero(w, r, cols, p.select(score, cols));
        }
    }
}
