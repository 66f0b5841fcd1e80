package dev.actlab.sparsity;

import dev.actlab.tensor.WeightMatrix;
import java.util.SplittableRandom;

/**
 * The best rank-r approximation W_r = A B of a weight matrix W [out, in] (A = W Q [out, r], B = Q^T [r, in],
 * Q an orthonormal basis of W's top-r right singular subspace), which R-Sparse multiplies with the inputs
 * its sparse part skips. W Q Q^T is the truncated SVD U_r S_r V_r^T whenever Q spans V_r, so the singular
 * vectors themselves are not needed.
 *
 * <p>Q comes from subspace iteration in double: Q <- orth(W^T W Q) from a seeded random start, with two
 * passes of Gram-Schmidt per step; it converges towards V_r at the rate (s_{r+1} / s_r)^(2 * steps) per
 * direction. Its residual ||W - A B||_F is checked against an independent SVD in the tests.
 */
final class LowRankPart {
    static final int STEPS = 60;

    final int rows, cols, rank;
    private final float[] a;   // [rows, rank]
    private final float[] b;   // [rank, cols]

    private LowRankPart(int rows, int cols, int rank, float[] a, float[] b) {
        this.rows = rows; this.cols = cols; this.rank = rank; this.a = a; this.b = b;
    }

    /** The rank-r part of w (rank 0: nothing). */
    static LowRankPart of(WeightMatrix w, int rank) {
        int rows = w.rows(), cols = w.cols();
        if (rank < 0 || rank > Math.min(rows, cols)) throw new IllegalArgumentException("rank " + rank + " for a [" + rows + ", " + cols + "] matrix");
        double[][] wr = new double[rows][cols];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            w.dequantizeRow(r, row, 0);
            for (int c = 0; c < cols; c++) wr[r][c] = row[c];
        }
        double[][] q = new double[rank][cols];   // the basis, one vector per row
        SplittableRandom rnd = new SplittableRandom(17);
        for (double[] v : q) for (int c = 0; c < cols; c++) v[c] = rnd.nextGaussian();
        orthonormalize(q);
        double[] z = new double[rows];
        for (int step = 0; step < STEPS && rank > 0; step++) {
            for (double[] v : q) {   // v <- W^T W v
                for (int r = 0; r < rows; r++) z[r] = dot(wr[r], v);
                java.util.Arrays.fill(v, 0);
                for (int r = 0; r < rows; r++) { double s = z[r]; double[] wrow = wr[r]; for (int c = 0; c < cols; c++) v[c] += s * wrow[c]; }
            }
            orthonormalize(q);
        }
        float[] a = new float[rows * rank], b = new float[rank * cols];
        for (int k = 0; k < rank; k++) {
            for (int c = 0; c < cols; c++) b[k * cols + c] = (float) q[k][c];
            for (int r = 0; r < rows; r++) a[r * rank + k] = (float) dot(wr[r], q[k]);
        }
        return new LowRankPart(rows, cols, rank, a, b);
    }

    /** Modified Gram-Schmidt, twice (so the basis is orthonormal to rounding). */
    private static void orthonormalize(double[][] q) {
        for (int pass = 0; pass < 2; pass++)
            for (int k = 0; k < q.length; k++) {
                for (int j = 0; j < k; j++) {
                    double p = dot(q[k], q[j]);
                    for (int c = 0; c < q[k].length; c++) q[k][c] -= p * q[j][c];
                }
                double n = Math.sqrt(dot(q[k], q[k]));
                for (int c = 0; c < q[k].length; c++) q[k][c] /= n;
            }
    }

    private static double dot(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) s += x[i] * y[i];
        return s;
    }

    /** out[t, :] += A (B x[t, :]) for n rows of x [n, cols]. */
    void addTo(float[] x, int n, float[] out) {
        float[] z = new float[rank];
        for (int t = 0; t < n; t++) {
            for (int k = 0; k < rank; k++) {
                float s = 0;
                for (int c = 0; c < cols; c++) s = Math.fma(b[k * cols + c], x[t * cols + c], s);
                z[k] = s;
            }
            for (int r = 0; r < rows; r++) {
                float s = 0;
                for (int k = 0; k < rank; k++) s = Math.fma(a[r * rank + k], z[k], s);
                out[t * rows + r] += s;
            }
        }
    }

    /** W_r[r, c], for tests. */
    float at(int r, int c) {
        float s = 0;
        for (int k = 0; k < rank; k++) s = Math.fma(a[r * rank + k], b[k * cols + c], s);
        return s;
    }

    /** Weights this part reads per token: r (rows + cols). */
    long weights() { return (long) rank * (rows + cols); }
}
