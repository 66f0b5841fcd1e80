package dev.actlab.train;

import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.RmsNormKernel;

/**
 * RMSNorm over rows: y = x * rstd * w with rstd = 1 / sqrt(mean(x^2) + eps), computed as the
 * inference forward pass computes it (model/llama/LlamaModel.rmsnorm).
 */
public final class RmsNorm {
    private RmsNorm() {}

    /** y [N, C], rstd [N] (saved for backward), x [N, C], w [C]. */
    public static void forward(float[] y, float[] rstd, float[] x, float[] w, int n, int c, float eps, Parallel par) {
        par.forRange(n, 16, (from, to) -> RmsNormKernel.forwardRows(y, rstd, x, w, c, eps, from, to));
    }

    /**
     * sum [N, C] = a + b (a residual add, {@link Residual#forward}), then y, rstd = {@link #forward} of sum:
     * each chunk of rows is normalized right after it is added, while it is still in cache.
     */
    public static void forwardAfterResidual(float[] y, float[] rstd, float[] sum, float[] a, float[] b, float[] w, int n, int c, float eps, Parallel par) {
        par.forRange(n, 16, (from, to) -> {
            Residual.forward(sum, a, b, from * c, to * c);
            RmsNormKernel.forwardRows(y, rstd, sum, w, c, eps, from, to);
        });
    }

    /**
     * dx [N, C] += dL/dx, dw [C] += dL/dw given dy [N, C] (dw skipped when null). dx is split
     * over rows, dw over channels: each value is summed by one thread in row order (dw a vector
     * of channels at a time, each lane its own channel's sum).
     */
    public static void backward(float[] dx, float[] dw, float[] dy, float[] x, float[] w, float[] rstd, int n, int c, Parallel par) {
        par.forRange(n, 16, (from, to) -> {
            for (int t = from; t < to; t++) RmsNormKernel.backwardRow(dx, dy, x, w, rstd[t], t * c, c);
        });
        if (dw == null) return;
        par.forRange(c, RmsNormKernel.CHANNEL_CHUNK, (from, to) -> RmsNormKernel.weightGradient(dw, dy, x, rstd, n, c, from, to));
    }
}
