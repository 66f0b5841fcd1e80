package dev.actlab.train;

import dev.actlab.tensor.Parallel;

/**
 * RMSNorm over rows: y = x * rstd * w with rstd = 1 / sqrt(mean(x^2) + eps), computed as the
 * inference forward pass computes it (model/llama/LlamaModel.rmsnorm).
 */
public final class RmsNorm {
    private RmsNorm() {}

    /** y [N, C], rstd [N] (saved for backward), x [N, C], w [C]. */
    public static void forward(float[] y, float[] rstd, float[] x, float[] w, int n, int c, float eps, Parallel par) {
        par.forRange(n, 16, (from, to) -> {
            for (int t = from; t < to; t++) {
                int o = t * c;
                float ss = 0;
                for (int i = 0; i < c; i++) ss += x[o + i] * x[o + i];
                float r = 1f / (float) Math.sqrt(ss / c + eps);
                rstd[t] = r;
                for (int i = 0; i < c; i++) y[o + i] = x[o + i] * r * w[i];
            }
        });
    }

    /**
     * dx [N, C] += dL/dx, dw [C] += dL/dw given dy [N, C].
     * dx_i = rstd * w_i dy_i - rstd^3 / C * x_i * sum_j(w_j dy_j x_j); dw_i = sum_n dy_i x_i rstd.
     * dx is split over rows, dw over channels: each value is summed by one thread in row order.
     */
    public static void backward(float[] dx, float[] dw, float[] dy, float[] x, float[] w, float[] rstd, int n, int c, Parallel par) {
        par.forRange(n, 16, (from, to) -> {
            for (int t = from; t < to; t++) {
                int o = t * c;
                float r = rstd[t], dot = 0;
                for (int i = 0; i < c; i++) dot += w[i] * dy[o + i] * x[o + i];
                float k = r * r * r * dot / c;
                for (int i = 0; i < c; i++) dx[o + i] += r * w[i] * dy[o + i] - k * x[o + i];
            }
        });
        par.forRange(c, 16, (from, to) -> {
            for (int i = from; i < to; i++) {
                float s = 0;
                for (int t = 0; t < n; t++) s += dy[t * c + i] * x[t * c + i] * rstd[t];
                dw[i] += s;
            }
        });
    }
}
