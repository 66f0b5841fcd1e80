package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The backward of RMSNorm y = x * rstd * w, rstd = 1 / sqrt(mean(x^2) + eps), over rows of width c:
 * dx_i = rstd w_i dy_i - rstd^3 / c * x_i * sum_j(w_j dy_j x_j) per row; dw_i = sum_rows dy_i x_i rstd
 * per channel. {@link #backwardRowReference} and {@link #weightGradientReference} are the plain
 * double-precision definitions.
 */
public final class RmsNormKernel {
    private static final VectorSpecies<Float> S = VectorExp.S;
    private static final int L = S.length();
    /** The smallest channel range worth a task of {@link #weightGradient}: two vectors of channels, summed in one pass over the rows. */
    public static final int CHANNEL_CHUNK = 2 * L;

    private RmsNormKernel() {}

    /**
     * The forward y = x * rstd * w, rstd[t] = 1 / sqrt(ss / c + eps), for rows [from, to) of width c,
     * with ss = sum_i x_i^2 added one element at a time in index order (the inference pass's sum,
     * model/llama/LlamaModel.rmsnorm). Four rows' sums run side by side (independent chains, each in
     * its own order): the bits of {@link #forwardRowsScalar}, without waiting on one add at a time.
     */
    public static void forwardRows(float[] y, float[] rstd, float[] x, float[] w, int c, float eps, int from, int to) {
        int t = from;
        for (; t + 4 <= to; t += 4) {
            int o0 = t * c, o1 = o0 + c, o2 = o1 + c, o3 = o2 + c;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int i = 0; i < c; i++) {
                float a0 = x[o0 + i], a1 = x[o1 + i], a2 = x[o2 + i], a3 = x[o3 + i];
                s0 += a0 * a0; s1 += a1 * a1; s2 += a2 * a2; s3 += a3 * a3;
            }
            scaleRow(y, rstd, x, w, t, c, s0, eps);
            scaleRow(y, rstd, x, w, t + 1, c, s1, eps);
            scaleRow(y, rstd, x, w, t + 2, c, s2, eps);
            scaleRow(y, rstd, x, w, t + 3, c, s3, eps);
        }
        for (; t < to; t++) {
            int o = t * c;
            float ss = 0;
            for (int i = 0; i < c; i++) ss += x[o + i] * x[o + i];
            scaleRow(y, rstd, x, w, t, c, ss, eps);
        }
    }

    /** Row t's rstd from its sum of squares, and y = (x * rstd) * w as vectors (each lane the scalar's two products). */
    private static void scaleRow(float[] y, float[] rstd, float[] x, float[] w, int t, int c, float ss, float eps) {
        float r = 1f / (float) Math.sqrt(ss / c + eps);
        rstd[t] = r;
        int o = t * c, i = 0;
        for (int upper = S.loopBound(c); i < upper; i += L)
            FloatVector.fromArray(S, x, o + i).mul(r).mul(FloatVector.fromArray(S, w, i)).intoArray(y, o + i);
        for (; i < c; i++) y[o + i] = x[o + i] * r * w[i];
    }

    /** {@link #forwardRows} one row and one element at a time. */
    public static void forwardRowsScalar(float[] y, float[] rstd, float[] x, float[] w, int c, float eps, int from, int to) {
        for (int t = from; t < to; t++) {
            int o = t * c;
            float ss = 0;
            for (int i = 0; i < c; i++) ss += x[o + i] * x[o + i];
            float r = 1f / (float) Math.sqrt(ss / c + eps);
            rstd[t] = r;
            for (int i = 0; i < c; i++) y[o + i] = x[o + i] * r * w[i];
        }
    }

    /** dx[o, o + c) += dL/dx of one row x[o, o + c), given dy[o, o + c), w [c] and the row's rstd. */
    public static void backwardRow(float[] dx, float[] dy, float[] x, float[] w, float rstd, int o, int c) {
        int i = 0, upper = S.loopBound(c);
        FloatVector acc = FloatVector.zero(S);
        for (; i < upper; i += L)
            acc = acc.add(FloatVector.fromArray(S, w, i).mul(FloatVector.fromArray(S, dy, o + i)).mul(FloatVector.fromArray(S, x, o + i)));
        float dot = Lanes.sum(acc);
        for (; i < c; i++) dot += w[i] * dy[o + i] * x[o + i];
        float k = rstd * rstd * rstd * dot / c;
        for (i = 0; i < upper; i += L) {
            FloatVector g = FloatVector.fromArray(S, w, i).mul(rstd).mul(FloatVector.fromArray(S, dy, o + i))
                    .sub(FloatVector.fromArray(S, x, o + i).mul(k));
            FloatVector.fromArray(S, dx, o + i).add(g).intoArray(dx, o + i);
        }
        for (; i < c; i++) dx[o + i] += rstd * w[i] * dy[o + i] - k * x[o + i];
    }

    /**
     * dw[i] += sum over rows t < n of dy[t, i] x[t, i] rstd[t], for channels [from, to) of rows of
     * width c: each lane is its own channel's sum in row order, the scalar tail does the same
     * operations, so a channel's bits do not depend on where a range starts.
     */
    public static void weightGradient(float[] dw, float[] dy, float[] x, float[] rstd, int n, int c, int from, int to) {
        int i = from;
        for (; i + 2 * L <= to; i += 2 * L) {   // two vectors of channels per pass: twice the bytes per row step, two chains
            FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
            for (int t = 0; t < n; t++) {
                int o = t * c + i;
                s0 = s0.add(FloatVector.fromArray(S, dy, o).mul(FloatVector.fromArray(S, x, o)).mul(rstd[t]));
                s1 = s1.add(FloatVector.fromArray(S, dy, o + L).mul(FloatVector.fromArray(S, x, o + L)).mul(rstd[t]));
            }
            FloatVector.fromArray(S, dw, i).add(s0).intoArray(dw, i);
            FloatVector.fromArray(S, dw, i + L).add(s1).intoArray(dw, i + L);
        }
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
    }

    /** {@link #backwardRow} in double: the increments of dx[o, o + c). */
    public static double[] backwardRowReference(float[] dy, float[] x, float[] w, float rstd, int o, int c) {
        double dot = 0;
        for (int i = 0; i < c; i++) dot += (double) w[i] * dy[o + i] * x[o + i];
        double k = (double) rstd * rstd * rstd * dot / c;
        double[] g = new double[c];
        for (int i = 0; i < c; i++) g[i] = (double) rstd * w[i] * dy[o + i] - k * x[o + i];
        return g;
    }

    /** {@link #weightGradient} in double: the increments of dw[0, c). */
    public static double[] weightGradientReference(float[] dy, float[] x, float[] rstd, int n, int c) {
        double[] g = new double[c];
        for (int t = 0; t < n; t++)
            for (int i = 0; i < c; i++) g[i] += (double) dy[t * c + i] * x[t * c + i] * rstd[t];
        return g;
    }
}
