package dev.actlab.prune;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.HookSite;
import dev.actlab.quant.Calibration;
import dev.actlab.quant.Gptq;
import dev.actlab.quant.Hessian;
import dev.actlab.quant.Linear;
import dev.actlab.quant.QuantModel;
import dev.actlab.tensor.Parallel;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;

/**
 * SparseGPT (Frantar and Alistarh 2023): prune a projection one input column at a time and spread
 * each removed weight over the columns not yet visited, weighted by the inverse of the Hessian
 * H = 2 X X^T + damping of the layer-wise error |W x - W' x|^2 (the GPTQ machinery: quant's
 * {@link Hessian} and {@link Gptq#upperCholeskyOfInverse}; the factor 2 changes nothing). With U the
 * upper Cholesky factor of H^-1: at column c, q = 0 if pruned else w_c, e = (w_c - q) / U[c][c],
 * w_j -= e U[c][j] for j > c; kept weights keep their updated values.
 *
 * The mask is chosen as the paper does it, per block of B columns from the weights as updated so far:
 * unstructured, at each block's start the entries of lowest w^2 / U[c][c]^2 in the block, here within
 * each output row (round(s * end) - round(s * start) of the row's entries in block [start, end), so a
 * row ends with round(s * cols)); N:M, at the start of each group of M columns, its M - N lowest.
 * Within a block the update is applied at once to the rest only when the block is done (the lazy
 * batch update; the same up to rounding). Damping adds damp * mean(diag H); a column no input reached
 * is zeroed. Rows are independent and split across threads (the same bits for any thread count).
 * Layer by layer: layer L's Hessians come from the windows run through layers 0..L-1 already pruned.
 */
public final class SparseGptPruning {
    private SparseGptPruning() {}

    public static final int BLOCK = 128;
    public static final double DAMP = 0.01;

    public static void apply(QuantModel m, PruningPattern p, Calibration calib, int block, double damp, Progress progress) {
        int L = m.layers();
        long W = calib.windows();
        Parallel par = Parallel.shared();
        for (int l = 0; l < L; l++) {
            final long before = l * W;
            Map<HookSite, Hessian> hs = new EnumMap<>(HookSite.class);      // projections reading one site share its Hessian
            EnumSet<Linear> owners = EnumSet.noneOf(Linear.class);
            for (Linear lin : Linear.values()) if (!hs.containsKey(lin.inputSite)) { hs.put(lin.inputSite, new Hessian(lin.cols(m.config()))); owners.add(lin); }
            calib.collect(m, l, l, owners, (ly, lin, x, n, cols) -> hs.get(lin.inputSite).add(x, n, par),
                    (done, all) -> progress.update(before + done, L * W));
            for (Linear lin : Linear.values())
                m.setWeight(l, lin, prune(m.weight(l, lin), lin.rows(m.config()), lin.cols(m.config()), hs.get(lin.inputSite), p, block, damp, par));
        }
    }

    /** SparseGPT of one matrix w [rows, cols] against the Hessian of its inputs; returns the pruned weights (w is not changed). */
    public static float[] prune(float[] w, int rows, int cols, Hessian hess, PruningPattern p, int block, double damp, Parallel par) {
        if (hess.cols() != cols) throw new IllegalArgumentException("Hessian of " + hess.cols() + " columns for a matrix of " + cols);
        if (block < 1) throw new IllegalArgumentException("sparsegpt block must be >= 1, got " + block);
        if (p.isNm() && block % p.m() != 0) throw new IllegalArgumentException("sparsegpt block " + block + " is not a multiple of M = " + p.m());
        double[][] h = hess.matrix();
        boolean[] dead = new boolean[cols];
        double meanDiag = 0;
        for (int i = 0; i < cols; i++) {
            if (h[i][i] == 0) { dead[i] = true; h[i][i] = 1; }
            meanDiag += h[i][i];
        }
        meanDiag /= cols;
        for (int i = 0; i < cols; i++) h[i][i] += damp * meanDiag;
        double[][] u = Gptq.upperCholeskyOfInverse(h);
        float[] out = new float[rows * cols];
        par.forRange(rows, 4, (from, to) -> {
            double[] row = new double[cols], score = new double[cols], err = new double[block];
            boolean[] pruned = new boolean[cols];
            for (int r = from; r < to; r++) {
                for (int j = 0; j < cols; j++) row[j] = dead[j] ? 0 : w[r * cols + j];
                for (int b0 = 0; b0 < cols; b0 += block) {
                    int b1 = Math.min(cols, b0 + block);
                    if (!p.isNm()) {
                        for (int j = b0; j < b1; j++) score[j] = row[j] * row[j] / (u[j][j] * u[j][j]);
                        PruningPattern.lowest(score, b0, b1 - b0, p.prunedIn(b1) - p.prunedIn(b0), pruned);
                    }
                    for (int i = b0; i < b1; i++) {
                        if (p.isNm() && (i - b0) % p.m() == 0) {
                            for (int j = i; j < i + p.m(); j++) score[j] = row[j] * row[j] / (u[j][j] * u[j][j]);
                            PruningPattern.lowest(score, i, p.m(), p.m() - p.n(), pruned);
                        }
                        double q = pruned[i] ? 0 : row[i];
                        out[r * cols + i] = (float) q;
                        double e = (row[i] - q) / u[i][i];
                        err[i - b0] = e;
                        double[] ui = u[i];
                        for (int j = i + 1; j < b1; j++) row[j] -= e * ui[j];
                    }
                    for (int j = b1; j < cols; j++) {                            // the block's errors, applied to the rest at once
                        double s = 0;
                        for (int i = b0; i < b1; i++) s += err[i - b0] * u[i][j];
                        row[j] -= s;
                    }
                }
            }
        });
        return out;
    }
}
