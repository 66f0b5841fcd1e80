package dev.actlab.quant;

/**
 * The whitening transform of SVD-LLM (Wang et al., "SVD-LLM: Truncation-aware Singular Value
 * Decomposition for Large Language Model Compression", ICLR 2025, arXiv:2403.07378): the Cholesky factor
 * S (lower triangular, [cols, cols]) of the inputs' second moment H = X X^T (X [cols, tokens], the
 * calibration inputs of one projection as columns) plus a small damping lambda I, so S S^T = H + lambda I.
 *
 * Why it helps: for any W-hat, |(W - W-hat) S|_F^2 = |(W - W-hat) X|_F^2 + lambda |W - W-hat|_F^2, so
 * truncating the SVD of W S (Eckart-Young) minimizes the error of the layer's outputs on the
 * calibration inputs (plus lambda times the plain error) rather than the error of the weights.
 * lambda = damp * mean(diag H), raised tenfold until the factorization succeeds (H is singular when
 * an input channel never fires, or with fewer tokens than channels).
 */
public final class LowRankWhitening {
    private final int n;
    private final double[][] l;     // [n][n], lower triangular: S
    private final double lambda;

    private LowRankWhitening(double[][] l, double lambda) { this.n = l.length; this.l = l; this.lambda = lambda; }

    /** S for H [n][n] (symmetric positive semi-definite; not changed) with damping damp * mean(diag H), damp > 0. */
    public static LowRankWhitening of(double[][] h, double damp) {
        if (!(damp > 0)) throw new IllegalArgumentException("whitening damping must be > 0, got " + damp);
        int n = h.length;
        double mean = 0;
        for (int i = 0; i < n; i++) mean += h[i][i] / n;
        if (!(mean > 0)) mean = 1;                                   // no activations at all: S = sqrt(lambda) I
        for (int attempt = 0; attempt < 8; attempt++, damp *= 10) {
            double lambda = damp * mean;
            double[][] l = cholesky(h, lambda);
            if (l != null) return new LowRankWhitening(l, lambda);
        }
        throw new ArithmeticException("the inputs' second moment is not positive definite even with damping " + damp / 10 + " x its mean diagonal");
    }

    /** L with L L^T = H + lambda I, or null when a pivot is not positive. */
    private static double[][] cholesky(double[][] h, double lambda) {
        int n = h.length;
        double[][] l = new double[n][n];
        for (int j = 0; j < n; j++) {
            double d = h[j][j] + lambda;
            for (int k = 0; k < j; k++) d -= l[j][k] * l[j][k];
            if (!(d > 0)) return null;
            double ljj = Math.sqrt(d);
            l[j][j] = ljj;
            for (int i = j + 1; i < n; i++) {
                double s = h[i][j];
                for (int k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                l[i][j] = s / ljj;
            }
        }
        return l;
    }

    public int size() { return n; }
    /** The damping added to H's diagonal. */
    public double lambda() { return lambda; }
    /** S[i][j]. */
    public double get(int i, int j) { return l[i][j]; }

    /** W S [rows, n] for W [rows, n] row-major. */
    public double[] rightMultiply(float[] w, int rows) {
        double[] out = new double[rows * n];
        for (int r = 0; r < rows; r++) {
            int o = r * n;
            for (int i = 0; i < n; i++) {
                double wi = w[o + i];
                if (wi == 0) continue;
                double[] li = l[i];
                for (int j = 0; j <= i; j++) out[o + j] += wi * li[j];   // S[i][j] is zero above the diagonal
            }
        }
        return out;
    }

    /** y = S^{-T} v (solves S^T y = v by back substitution): v^T S^{-1} as a column. */
    public double[] solveTranspose(double[] v) {
        double[] y = new double[n];
        for (int j = n - 1; j >= 0; j--) {
            double s = v[j];
            for (int i = j + 1; i < n; i++) s -= l[i][j] * y[i];
            y[j] = s / l[j][j];
        }
        return y;
    }
}
