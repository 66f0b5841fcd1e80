package dev.actlab.tensor;

import java.util.Arrays;

/**
 * A weight matrix whose products see their input as ggml's CPU backend sees it: each input row
 * rounded by {@link GgmlInputRounding#forWeights} of the weights' type (Q8_0 for Q4_0 weights, ...)
 * before the product. The weights and {@link #dequantizeRow} (an embedding lookup) are untouched.
 * Each input row is rounded on its own, so results are bit-identical for any thread count.
 */
public final class RoundedInputMatrix implements WeightMatrix {
    private final WeightMatrix weights;
    private final GgmlInputRounding rounding;

    public RoundedInputMatrix(WeightMatrix weights) {
        this.weights = weights;
        this.rounding = GgmlInputRounding.forWeights(weights.dtype());
        if (weights.cols() % rounding.blockSize != 0)
            throw new IllegalArgumentException(weights.dtype() + " matrix with " + weights.cols() + " columns: "
                    + rounding + " input rounding needs a multiple of " + rounding.blockSize);
    }

    public GgmlInputRounding rounding() { return rounding; }
    @Override public int rows() { return weights.rows(); }
    @Override public int cols() { return weights.cols(); }
    @Override public DType dtype() { return weights.dtype(); }
    @Override public long byteSize() { return weights.byteSize(); }
    @Override public void dequantizeRow(int row, float[] dst, int off) { weights.dequantizeRow(row, dst, off); }

    @Override public float dot(int row, float[] x, int xOff) { return weights.dot(row, rounded(x, xOff), 0); }

    @Override public float dotScalar(int row, float[] x, int xOff) { return weights.dotScalar(row, rounded(x, xOff), 0); }

    private float[] rounded(float[] x, int xOff) {
        float[] r = Arrays.copyOfRange(x, xOff, xOff + cols());
        rounding.round(r, 0, r.length);
        return r;
    }

    /** x [n, cols] is rounded row by row into a copy (x itself is left as it was), then multiplied. */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        int cols = cols();
        float[] r = Arrays.copyOf(x, n * cols);
        if (rounding != GgmlInputRounding.NONE)
            par.forRange(n, 1, (from, to) -> { for (int t = from; t < to; t++) rounding.round(r, t * cols, cols); });
        weights.matmul(r, n, out, par);
    }

    @Override public void matmulRows(float[] x, int n, float[] out, int from, int to) {
        int cols = cols();
        float[] r = Arrays.copyOf(x, n * cols);
        for (int t = 0; t < n; t++) rounding.round(r, t * cols, cols);
        weights.matmulRows(r, n, out, from, to);
    }
}
