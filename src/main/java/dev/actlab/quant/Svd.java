package dev.actlab.quant;

import java.util.Arrays;

/**
 * The thin singular value decomposition A = U diag(s) V^T of a real matrix A [rows, cols], in double,
 * by one-sided (Hestenes) Jacobi: plane rotations applied to pairs of columns until every pair is
 * orthogonal; the column norms are then the singular values.
 *
 * Why this method: it works on A itself, never on A^T A. Eigendecomposing the Gram matrix squares the
 * condition number, so a singular value s_i comes out with an absolute error near eps * s_max^2 / s_i,
 * and the small ones - exactly the ones a truncation drops and whose sizes give its error - are
 * lost; activation-whitened matrices W S are badly conditioned, so this matters there. One-sided Jacobi
 * gives every singular value to high relative accuracy and U, V orthonormal to rounding (Demmel and
 * Veselic, 1992). The cost, O(rows * cols^2) per sweep and some ten sweeps, is small for the block
 * matrices actlab compresses.
 *
 * r = min(rows, cols) triplets, sorted by decreasing s. A left vector whose singular value is exactly
 * zero is left zero (any unit vector would do; the products do not depend on it).
 */
public final class Svd {
    private static final int MAX_SWEEPS = 80;

    private final int rows, cols;
    private final double[] s;        // [r], decreasing
    private final double[][] u;      // [r][rows]: the left singular vectors
    private final double[][] v;      // [r][cols]: the right singular vectors

    private Svd(int rows, int cols, double[] s, double[][] u, double[][] v) {
        this.rows = rows; this.cols = cols; this.s = s; this.u = u; this.v = v;
    }

    /** The SVD of a [rows, cols] row-major (not changed). */
    public static Svd of(double[] a, int rows, int cols) {
        if (rows < 1 || cols < 1) throw new IllegalArgumentException("SVD of a " + rows + " x " + cols + " matrix");
        if ((long) rows * cols != a.length) throw new IllegalArgumentException(a.length + " values for a " + rows + " x " + cols + " matrix");
        for (double x : a) if (!Double.isFinite(x)) throw new IllegalArgumentException("SVD of a matrix holding " + x);
        boolean tall = rows >= cols;
        int m = tall ? rows : cols, n = tall ? cols : rows;          // work on B = A (tall) or A^T (wide): B [m, n], m >= n
        double[][] b = new double[n][m];                              // B's columns
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                if (tall) b[j][i] = a[i * cols + j];
                else b[i][j] = a[i * cols + j];
            }
        double[][] w = new double[n][n];                              // accumulated rotations W (B W = U S), as columns
        for (int j = 0; j < n; j++) w[j][j] = 1;
        orthogonalizeColumns(b, w);
        // B W = [columns of norm s_j]: left vectors of B are the normalized columns, right vectors W's columns
        Integer[] order = new Integer[n];
        double[] norms = new double[n];
        for (int j = 0; j < n; j++) { order[j] = j; norms[j] = Math.sqrt(dot(b[j], b[j])); }
        Arrays.sort(order, (x, y) -> Double.compare(norms[y], norms[x]));
        double[] s = new double[n];
        double[][] left = new double[n][], right = new double[n][];
        for (int k = 0; k < n; k++) {
            int j = order[k];
            s[k] = norms[j];
            double[] col = b[j];
            if (s[k] > 0) for (int i = 0; i < m; i++) col[i] /= s[k];
            left[k] = col;
            right[k] = w[j];
        }
        // B = A: U = left, V = right; B = A^T = left S right^T, so A = right S left^T
        return tall ? new Svd(rows, cols, s, left, right) : new Svd(rows, cols, s, right, left);
    }

    /**
     * Rotates pairs of columns of b (and of w alongside) until every pair is orthogonal to rounding. The squared
     * column norms are computed at the start of each sweep and updated through its rotations (alpha - t gamma,
     * beta + t gamma), so a pair costs one dot product instead of three.
     */
    private static void orthogonalizeColumns(double[][] b, double[][] w) {
        int n = b.length, m = b[0].length;
        double tol = 2.2e-16 * Math.max(m, 16);
        double[] sq = new double[n];
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            boolean rotated = false;
            for (int j = 0; j < n; j++) sq[j] = dot(b[j], b[j]);
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++) {
                    double[] bp = b[p], bq = b[q];
                    double alpha = sq[p], beta = sq[q], gamma = dot(bp, bq);
                    if (gamma == 0 || Math.abs(gamma) <= tol * Math.sqrt(alpha * beta)) continue;
                    rotated = true;
                    // the rotation that zeroes the off-diagonal of the pair's 2x2 Gram matrix [[alpha, gamma], [gamma, beta]]
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    double c = 1 / Math.sqrt(1 + t * t), sn = c * t;
                    rotate(bp, bq, c, sn);
                    rotate(w[p], w[q], c, sn);
                    sq[p] = alpha - t * gamma;
                    sq[q] = beta + t * gamma;
                }
            if (!rotated) return;
        }
        throw new ArithmeticException("one-sided Jacobi SVD did not converge in " + MAX_SWEEPS + " sweeps");
    }

    private static void rotate(double[] x, double[] y, double c, double s) {
        for (int i = 0; i < x.length; i++) {
            double a = x[i], b = y[i];
            x[i] = c * a - s * b;
            y[i] = s * a + c * b;
        }
    }

    static double dot(double[] x, double[] y) {
        double sum = 0;
        for (int i = 0; i < x.length; i++) sum += x[i] * y[i];
        return sum;
    }

    public int rows() { return rows; }
    public int cols() { return cols; }
    /** min(rows, cols): how many singular triplets there are. */
    public int rank() { return s.length; }

    /** The i-th largest singular value. */
    public double singularValue(int i) { return s[i]; }
    public double[] singularValues() { return s.clone(); }

    /** The i-th left singular vector [rows] (the live array: do not write it). */
    public double[] left(int i) { return u[i]; }
    /** The i-th right singular vector [cols] (the live array: do not write it). */
    public double[] right(int i) { return v[i]; }

    /** sqrt(sum of s_i^2 for i >= k): the Frobenius norm of what truncation to rank k drops (Eckart-Young: the least possible). */
    public double tailNorm(int k) {
        double sum = 0;
        for (int i = Math.max(0, k); i < s.length; i++) sum += s[i] * s[i];
        return Math.sqrt(sum);
    }

    /** U_k diag(s_k) V_k^T [rows, cols] row-major: the best rank-k approximation in the Frobenius norm. */
    public double[] truncate(int k) {
        if (k < 0 || k > s.length) throw new IllegalArgumentException("rank " + k + " of a " + rows + " x " + cols + " SVD");
        double[] out = new double[rows * cols];
        for (int i = 0; i < k; i++) {
            double[] ui = u[i], vi = v[i];
            for (int r = 0; r < rows; r++) {
                double a = s[i] * ui[r];
                if (a == 0) continue;
                int o = r * cols;
                for (int c = 0; c < cols; c++) out[o + c] += a * vi[c];
            }
        }
        return out;
    }
}
