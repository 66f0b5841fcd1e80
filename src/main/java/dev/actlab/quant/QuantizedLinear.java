package dev.actlab.quant;

import dev.actlab.tensor.DType;
import dev.actlab.tensor.F32Matrix;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;

/**
 * A weight matrix whose inputs are transformed before the product ({@link LinearInput}: online
 * rotation, noise, activation fake quantization); when noise is added, -W * noise is added to each
 * output row afterwards (NoisyQuant's bias correction, computed from these weights). The forward pass does not know: it calls matmul as
 * for any weight matrix. The weights themselves are float32 (already fake-quantized when a recipe
 * quantized them).
 */
final class QuantizedLinear implements WeightMatrix {
    private final F32Matrix weights;
    private final LinearInput input;
    private final float[] outputCorrection;   // [rows] or null

    QuantizedLinear(F32Matrix weights, LinearInput input) {
        this.weights = weights; this.input = input;
        this.outputCorrection = input.noise() == null ? null : correction(weights, input.noise());
    }

    /** -W n: what the noise added to every input contributes to the output, taken off again (in double, rounded once). */
    private static float[] correction(F32Matrix w, float[] noise) {
        int rows = w.rows(), cols = w.cols();
        if (noise.length != cols) throw new IllegalArgumentException("noise of " + noise.length + " values for " + cols + " input channels");
        float[] row = new float[cols], c = new float[rows];
        for (int r = 0; r < rows; r++) {
            w.dequantizeRow(r, row, 0);
            double s = 0;
            for (int j = 0; j < cols; j++) s += (double) row[j] * noise[j];
            c[r] = (float) -s;
        }
        return c;
    }

    @Override public int rows() { return weights.rows(); }
    @Override public int cols() { return weights.cols(); }
    @Override public DType dtype() { return DType.F32; }
    @Override public long byteSize() { return weights.byteSize(); }
    @Override public void dequantizeRow(int row, float[] dst, int off) { weights.dequantizeRow(row, dst, off); }

    @Override public float dot(int row, float[] x, int xOff) {
        float[] t = transformed(x, xOff);
        return weights.dot(row, t, 0) + (outputCorrection == null ? 0 : outputCorrection[row]);
    }

    @Override public float dotScalar(int row, float[] x, int xOff) {
        float[] t = transformed(x, xOff);
        return weights.dotScalar(row, t, 0) + (outputCorrection == null ? 0 : outputCorrection[row]);
    }

    private float[] transformed(float[] x, int xOff) {
        float[] t = java.util.Arrays.copyOfRange(x, xOff, xOff + cols());
        input.applyRow(t, 0, cols());
        return t;
    }

    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        int cols = cols(), rows = rows();
        float[] t = java.util.Arrays.copyOf(x, n * cols);
        input.apply(t, n, cols, par);
        weights.matmul(t, n, out, par);
        if (outputCorrection != null)
            for (int i = 0; i < n; i++) for (int r = 0; r < rows; r++) out[i * rows + r] += outputCorrection[r];
    }
}
