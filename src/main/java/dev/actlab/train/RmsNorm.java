package dev.actlab.train;

import dev.actlab.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

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
     * dx [N, C] += dL/dx, dw [C] += dL/dw given dy [N, C] (dw skipped when null).
     * dx_i = rstd * w_i dy_i - rstd^3 / C * x_i * sum_j(w_j dy_j x_j); dw_i = sum_n dy_i x_i rstd.
     * dx is split over rows, dw over channels: each value is summed by one thread in row order
     * (dw a vector of channels at a time, each lane its own channel's sum).
     */
    public static void backward(float[] dx, float[] dw, float[] dy, float[] x, float[] w, float[] rstd, int n, int c, Parallel par) {
        int L = S.length();
        par.forRange(n, 16, (from, to) -> {
            for (int t = from; t < to; t++) {
                int o = t * c, i = 0, upper = S.loopBound(c);
                float r = rstd[t];
                FloatVector acc = FloatVector.zero(S);
                for (; i < upper; i += L)
                    acc = acc.add(FloatVector.fromArray(S, w, i).mul(FloatVector.fromArray(S, dy, o + i)).mul(FloatVector.fromArray(S, x, o + i)));
                float dot = Matmul.laneSum(acc);
                for (; i < c; i++) dot += w[i] * dy[o + i] * x[o + i];
                float k = r * r * r * dot / c;
                for (i = 0; i < upper; i += L) {
                    FloatVector g = FloatVector.fromArray(S, w, i).mul(r).mul(FloatVector.fromArray(S, dy, o + i))
                            .sub(FloatVector.fromArray(S, x, o + i).mul(k));
                    FloatVector.fromArray(S, dx, o + i).add(g).intoArray(dx, o + i);
                }
                for (; i < c; i++) dx[o + i] += r * w[i] * dy[o + i] - k * x[o + i];
            }
        });
        if (dw == null) return;
        par.forRange(c, L, (from, to) -> {
            int i = from;
            for (; i + L <= to; i += L) {
                FloatVector s = FloatVector.zero(S);
                for (int t = 0; t < n; t++)
                    s = s.add(FloatVector.fromArray(S, dy, t * c + i).mul(FloatVector.fromArray(S, x, t * c + i)).mul(rstd[t]));
                FloatVector.fromArray(S, dw, i).add(s).intoArray(dw, i);
            }
            for (; i < to; i++) {
                float s = 0;
                for (int t = 0; t < n; t++) s += dy[t * c + i] * x[t * c + i] * rstd[t];
                dw[i] += s;
            }
        });
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
}
