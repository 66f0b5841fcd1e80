package dev.actlab.quant;

import dev.actlab.tensor.F32Matrix;
import dev.actlab.tensor.Parallel;

/**
 * H = sum over calibration tokens of x x^T for the input rows x of one projection ([cols, cols],
 * double), with the token count: GPTQ's proxy Hessian of the layer-wise squared error
 * |W x - Q x|^2 (up to the factor 2 / n, which no result depends on). Each window's X^T X is
 * one float32 matrix product (the tensor room's kernel: X^T as a [cols, n] weight matrix times
 * itself), added into the double sum.
 */
public final class Hessian {
    final int cols;
    final double[] h;     // [cols * cols]
    long tokens;

    public Hessian(int cols) { this.cols = cols; this.h = new double[cols * cols]; }

    public int cols() { return cols; }
    public long tokens() { return tokens; }

    /** Adds the rows of x [n, cols]. */
    public void add(float[] x, int n, Parallel par) {
        float[] xt = new float[cols * n];                         // X^T [cols, n]
        for (int t = 0; t < n; t++) for (int i = 0; i < cols; i++) xt[i * n + t] = x[t * cols + i];
        float[] out = new float[cols * cols];
        F32Matrix.of(xt, cols, n).matmul(xt, cols, out, par);      // out[j, i] = X^T[i, :] . X^T[j, :]
        for (int i = 0; i < h.length; i++) h[i] += out[i];
        tokens += n;
    }

    /** H[i][j]. */
    public double get(int i, int j) { return h[i * cols + j]; }

    /** A copy of H as [cols][cols]. */
    public double[][] matrix() {
        double[][] m = new double[cols][cols];
        for (int i = 0; i < cols; i++) System.arraycopy(h, i * cols, m[i], 0, cols);
        return m;
    }

    /** The layer-wise error sum over tokens of |D x|^2 = trace(D H D^T) for D = W - Q, [rows, cols] (what GPTQ minimizes). */
    public double error(float[] w, float[] q, int rows) {
        double total = 0;
        double[] d = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) d[j] = (double) w[r * cols + j] - q[r * cols + j];
            for (int i = 0; i < cols; i++) {
                if (d[i] == 0) continue;
                double s = 0;
                for (int j = 0; j < cols; j++) s += h[i * cols + j] * d[j];
                total += d[i] * s;
            }
        }
        return total;
    }
}
