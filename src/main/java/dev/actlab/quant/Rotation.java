package dev.actlab.quant;

import java.util.SplittableRandom;

/**
 * An orthogonal n x n transform R applied to vectors (x -> R x): a normalized Hadamard matrix
 * H / sqrt(n), optionally times a random diagonal of signs D (QuaRot's randomized Hadamard,
 * R = H D / sqrt(n)), computed fast as the Kronecker product H_m (x) H_(2^k) (a Walsh-Hadamard
 * transform over each block of 2^k and a small dense core across blocks); or, for an order with no
 * Hadamard matrix here, a random orthogonal matrix (QR of a Gaussian matrix, as SpinQuant starts
 * from), applied densely. Arithmetic is in double; results are rounded to float once.
 */
public final class Rotation {
    private final int n, m, p;               // n = m * p, p a power of two (Hadamard); m = 0 for dense
    private final int[][] core;              // [m][m] +-1
    private final double[] signs;            // D, or null
    private final double[][] dense;          // random orthogonal, or null
    private final String label;

    private Rotation(int n, int m, int[][] core, double[] signs, double[][] dense, String label) {
        this.n = n; this.m = m; this.p = m == 0 ? 0 : n / m; this.core = core; this.signs = signs; this.dense = dense; this.label = label;
    }

    /** H / sqrt(n); throws when no Hadamard matrix of order n is constructed here. */
    public static Rotation hadamard(int n) {
        int m = Hadamard.core(n);
        if (m == 0) throw new IllegalArgumentException("no Hadamard matrix of order " + n);
        return new Rotation(n, m, Hadamard.coreMatrix(m), null, null, "hadamard " + n);
    }

    /** H D / sqrt(n) with random signs from the seed; a random orthogonal matrix when no Hadamard matrix of order n is known here. */
    public static Rotation randomizedHadamard(int n, long seed) {
        int m = Hadamard.core(n);
        if (m == 0) return randomOrthogonal(n, seed);
        SplittableRandom r = new SplittableRandom(seed);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = r.nextBoolean() ? 1 : -1;
        return new Rotation(n, m, Hadamard.coreMatrix(m), d, null, "randomized hadamard " + n);
    }

    /** Hadamard when one of order n exists, else a random orthogonal matrix (seeded). */
    public static Rotation hadamardOrRandom(int n, long seed) {
        return Hadamard.exists(n) ? hadamard(n) : randomOrthogonal(n, seed);
    }

    /** Q of the QR decomposition of an n x n standard Gaussian matrix (modified Gram-Schmidt in double), signs fixed so diag(R) > 0. */
    public static Rotation randomOrthogonal(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] a = new double[n][n];   // columns a[j]
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++) a[j][i] = Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
        for (int pass = 0; pass < 2; pass++)       // two passes of Gram-Schmidt: orthogonal to double precision
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < j; k++) {
                    double dot = 0;
                    for (int i = 0; i < n; i++) dot += a[k][i] * a[j][i];
                    for (int i = 0; i < n; i++) a[j][i] -= dot * a[k][i];
                }
                double norm = 0;
                for (int i = 0; i < n; i++) norm += a[j][i] * a[j][i];
                norm = Math.sqrt(norm);
                for (int i = 0; i < n; i++) a[j][i] /= norm;
            }
        double[][] q = new double[n][n];           // q[i][j] = column j's entry i
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) q[i][j] = a[j][i];
        return new Rotation(n, 0, null, null, q, "random orthogonal " + n);
    }

    public int size() { return n; }

    /** True for a Hadamard-based rotation (fast), false for a dense random orthogonal one. */
    public boolean isHadamard() { return m != 0; }

    /** x[off : off + n] = R x, in place. */
    public void apply(float[] x, int off) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = x[off + i];
        apply(v);
        for (int i = 0; i < n; i++) x[off + i] = (float) v[i];
    }

    /** v = R v, in place, in double. */
    public void apply(double[] v) {
        if (dense != null) {
            double[] out = new double[n];
            for (int i = 0; i < n; i++) {
                double s = 0;
                double[] row = dense[i];
                for (int j = 0; j < n; j++) s += row[j] * v[j];
                out[i] = s;
            }
            System.arraycopy(out, 0, v, 0, n);
            return;
        }
        if (signs != null) for (int i = 0; i < n; i++) v[i] *= signs[i];
        for (int b = 0; b < m; b++) Hadamard.fwht(v, b * p, p);       // I_m (x) H_p
        if (m > 1) {                                                  // H_m (x) I_p
            double[] col = new double[m];
            for (int j = 0; j < p; j++) {
                for (int i = 0; i < m; i++) {
                    double s = 0;
                    for (int k = 0; k < m; k++) s += core[i][k] * v[k * p + j];
                    col[i] = s;
                }
                for (int i = 0; i < m; i++) v[i * p + j] = col[i];
            }
        }
        double scale = 1 / Math.sqrt(n);
        for (int i = 0; i < n; i++) v[i] *= scale;
    }

    /** R as a dense matrix [n][n] (column j = R e_j). */
    public double[][] matrix() {
        double[][] r = new double[n][n];
        for (int j = 0; j < n; j++) {
            double[] e = new double[n];
            e[j] = 1;
            apply(e);
            for (int i = 0; i < n; i++) r[i][j] = e[i];
        }
        return r;
    }

    /** Each row w of a row-major [rows, n] matrix becomes R w: W -> W R^T (for a matrix that reads a rotated input). */
    public void rotateRows(float[] w, int rows) {
        for (int r = 0; r < rows; r++) apply(w, r * n);
    }

    /** Each column c of a row-major [n, cols] matrix becomes R c: W -> R W (for a matrix whose output is rotated). */
    public void rotateColumns(float[] w, int cols) {
        double[] c = new double[n];
        for (int j = 0; j < cols; j++) {
            for (int i = 0; i < n; i++) c[i] = w[i * cols + j];
            apply(c);
            for (int i = 0; i < n; i++) w[i * cols + j] = (float) c[i];
        }
    }

    @Override public String toString() { return label; }
}
