package dev.actlab.quant;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.tensor.Parallel;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * GPTQ (Frantar et al. 2023): quantize a projection's weights one input column at a time and
 * spread each column's rounding error over the columns not yet quantized, weighted by the inverse
 * of H = sum x x^T over calibration inputs, so that |W x - Q x|^2 on those inputs is small rather
 * than |W - Q|^2. With U the upper Cholesky factor of H^-1: for column c, q = quant(w_c),
 * e = (w_c - q) / U[c][c], w_j -= e U[c][j] for j > c. Blocked: within a block of B columns the
 * update is applied at once, to the rest only when the block is done (the lazy batch update; the
 * result is the same up to rounding). Dampening adds damp * mean(diag H) to the diagonal; a column
 * no input ever reached (H[c][c] = 0) is zeroed. Act-order processes columns by decreasing H[c][c];
 * its groups are then fixed up front on the original column order (static groups), so that a group
 * is still a run of consecutive columns. Rows (output channels) are independent and split across threads.
 *
 * The model is quantized layer by layer: layer L's Hessians come from the calibration windows run
 * through layers 0..L-1 already quantized (what the reference implementation feeds forward).
 */
public record Gptq(Quantizer quantizer, int block, float damp, boolean actOrder) implements QuantStep {
    public Gptq {
        if (block < 1) throw new IllegalArgumentException("gptq block must be >= 1, got " + block);
        if (!(damp > 0 && damp < 1)) throw new IllegalArgumentException("gptq damp must be in (0, 1), got " + damp);
    }

    @Override public boolean calibrates() { return true; }

    @Override public String describe() {
        return "gptq(w=" + quantizer.format().name() + ", g=" + quantizer.granularity() + ", block=" + block + ", damp=" + damp
                + (actOrder ? ", actorder" : "") + (quantizer.clip() < 1 ? ", clip=" + quantizer.clip() : "") + ")";
    }

    @Override public void apply(QuantModel m, Calibration calib, Progress progress) {
        if (calib == null) throw new IllegalArgumentException("gptq needs calibration text");
        LlamaConfig c = m.config();
        int L = m.layers();
        Parallel par = Parallel.shared();
        long W = calib.windows();
        for (int l = 0; l < L; l++) {
            final long before = l * W;
            Map<Linear, Hessian> hs = sharedHessians(m, l);
            EnumSet<Linear> owners = EnumSet.noneOf(Linear.class);        // the first projection of each shared H adds to it
            java.util.Set<Hessian> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            for (Linear lin : Linear.values()) if (seen.add(hs.get(lin))) owners.add(lin);
            calib.collect(m, l, l, owners, (ly, lin, x, n, cols) -> hs.get(lin).add(x, n, par),
                    (done, all) -> progress.update(before + done, L * W));
            for (Linear lin : Linear.values()) {
                m.setQuantizedWeight(l, lin, quantize(m.weight(l, lin), lin.rows(c), lin.cols(c), hs.get(lin), quantizer, block, damp, actOrder, par), quantizer);
            }
        }
        m.log(describe());
    }

    /** One Hessian per distinct input of a layer: projections reading the same site through the same input transform share one. */
    static Map<Linear, Hessian> sharedHessians(QuantModel m, int layer) {
        Map<Linear, Hessian> hs = new LinkedHashMap<>();
        for (Linear lin : Linear.values()) {
            Hessian h = null;
            for (var e : hs.entrySet())
                if (e.getKey().inputSite == lin.inputSite && m.input(layer, e.getKey()) == m.input(layer, lin)) h = e.getValue();
            hs.put(lin, h != null ? h : new Hessian(lin.cols(m.config())));
        }
        return hs;
    }

    /** GPTQ of one matrix w [rows, cols] against the Hessian of its inputs; returns the quantized weights (w is not changed). */
    public static float[] quantize(float[] w, int rows, int cols, Hessian hess, Quantizer q, int block, double damp, boolean actOrder, Parallel par) {
        if (hess.cols() != cols) throw new IllegalArgumentException("Hessian of " + hess.cols() + " columns for a matrix of " + cols);
        double[][] h = hess.matrix();
        boolean[] dead = new boolean[cols];
        double meanDiag = 0;
        for (int i = 0; i < cols; i++) {
            if (h[i][i] == 0) { dead[i] = true; h[i][i] = 1; }
            meanDiag += h[i][i];
        }
        meanDiag /= cols;
        int[] perm = new int[cols];
        for (int i = 0; i < cols; i++) perm[i] = i;
        if (actOrder) {
            final double[] diag = new double[cols];
            for (int i = 0; i < cols; i++) diag[i] = h[i][i];
            perm = java.util.stream.IntStream.range(0, cols).boxed()
                    .sorted((a, b) -> Double.compare(diag[b], diag[a])).mapToInt(Integer::intValue).toArray();
        }
        double[][] hp = new double[cols][cols];                                // H permuted, dampened
        for (int i = 0; i < cols; i++) for (int j = 0; j < cols; j++) hp[i][j] = h[perm[i]][perm[j]];
        for (int i = 0; i < cols; i++) hp[i][i] += damp * meanDiag;
        double[][] u = upperCholeskyOfInverse(hp);
        final int[] order = perm;

        // group scales: TENSOR and ROW fixed from the original weights; GROUP fixed up front with act-order, else found when a group starts
        Granularity g = q.granularity();
        NumberFormat f = q.format();
        GroupScale tensorScale = g.kind() == Granularity.Kind.TENSOR ? f.fit(w, 0, rows * cols, q.clip()) : null;
        int gsize = g.groupLength(cols);
        float[] out = new float[rows * cols];
        par.forRange(rows, 4, (from, to) -> {
            double[] row = new double[cols];                                   // the row in processing order
            float[] orig = new float[cols];
            float[] err = new float[block];
            GroupScale[] groupScale = new GroupScale[(cols + Math.max(1, gsize) - 1) / Math.max(1, gsize)];
            for (int r = from; r < to; r++) {
                for (int j = 0; j < cols; j++) { orig[j] = dead[j] ? 0 : w[r * cols + j]; }
                for (int j = 0; j < cols; j++) row[j] = orig[order[j]];
                GroupScale rowScale = switch (g.kind()) {
                    case TENSOR -> tensorScale;
                    case ROW -> f.fit(orig, 0, cols, q.clip());
                    case GROUP -> null;
                };
                if (g.kind() == Granularity.Kind.GROUP) {
                    java.util.Arrays.fill(groupScale, null);
                    if (actOrder) for (int s = 0; s < groupScale.length; s++)
                        groupScale[s] = f.fit(orig, s * gsize, Math.min(gsize, cols - s * gsize), q.clip());
                }
                float[] current = new float[gsize];
                for (int b0 = 0; b0 < cols; b0 += block) {
                    int b1 = Math.min(cols, b0 + block);
                    for (int i = b0; i < b1; i++) {
                        int col = order[i];
                        GroupScale s = rowScale;
                        if (s == null) {
                            int grp = col / gsize;
                            if (groupScale[grp] == null) {                      // no act-order: col is the group's first column; fit on the updated values
                                int len = Math.min(gsize, cols - grp * gsize);
                                for (int k = 0; k < len; k++) current[k] = (float) row[grp * gsize + k];
                                groupScale[grp] = f.fit(current, 0, len, q.clip());
                            }
                            s = groupScale[grp];
                        }
                        float qv = f.quantize((float) row[i], s);
                        out[r * cols + col] = qv;
                        double e = (row[i] - qv) / u[i][i];
                        err[i - b0] = (float) e;
                        double[] ui = u[i];
                        for (int j = i + 1; j < b1; j++) row[j] -= e * ui[j];
                    }
                    for (int j = b1; j < cols; j++) {                           // the block's errors, applied to the rest at once
                        double s = 0;
                        for (int i = b0; i < b1; i++) s += err[i - b0] * u[i][j];
                        row[j] -= s;
                    }
                }
            }
        });
        return out;
    }

    /** U upper triangular with H^-1 = U^T U (Cholesky of H, its inverse, and the Cholesky factor of that). */
    public static double[][] upperCholeskyOfInverse(double[][] hIn) {
        int n = hIn.length;
        double[][] l = cholesky(hIn, "the dampened Hessian");
        double[][] y = new double[n][n];                                      // y[j] = column j of L^-1 (L y = e_j, forward substitution)
        for (int j = 0; j < n; j++) {
            double[] yj = y[j];
            yj[j] = 1 / l[j][j];
            for (int i = j + 1; i < n; i++) {
                double s = 0;
                double[] li = l[i];
                for (int k = j; k < i; k++) s += li[k] * yj[k];
                yj[i] = -s / li[i];
            }
        }
        double[][] inv = new double[n][n];                                    // H^-1 = L^-T L^-1: entry (i, j) = column i . column j of L^-1
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) {
                double s = 0;
                double[] yi = y[i], yj = y[j];
                for (int k = i; k < n; k++) s += yi[k] * yj[k];
                inv[i][j] = s; inv[j][i] = s;
            }
        double[][] l2 = cholesky(inv, "the inverse Hessian");
        double[][] u = new double[n][n];
        for (int i = 0; i < n; i++) for (int j = i; j < n; j++) u[i][j] = l2[j][i];
        return u;
    }

    /** Lower Cholesky factor; throws naming the matrix when it is not positive definite. */
    static double[][] cholesky(double[][] a, String what) {
        int n = a.length;
        double[][] l = new double[n][n];
        for (int j = 0; j < n; j++) {
            double d = a[j][j];
            for (int k = 0; k < j; k++) d -= l[j][k] * l[j][k];
            if (!(d > 0)) throw new IllegalArgumentException("gptq: " + what + " is not positive definite at column " + j + " (raise damp)");
            l[j][j] = Math.sqrt(d);
            for (int i = j + 1; i < n; i++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                l[i][j] = s / l[j][j];
            }
        }
        return l;
    }
}
