package dev.actlab.train;

import dev.actlab.tensor.Lanes;
import dev.actlab.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * y = x W^T with W [out, in] row-major (the layout of dev.actlab.tensor.F32Matrix). Each output
 * element is computed by one thread in a fixed order, so results do not depend on the thread count.
 */
public final class Matmul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Matmul() {}

    /** y [N, out] = x [N, in] W^T, W [out, in]. Split over rows of x. */
    public static void forward(float[] y, float[] x, float[] w, int n, int in, int out, Parallel par) {
        par.forRange(n, 4, (from, to) -> {
            for (int t = from; t < to; t++)
                for (int o = 0; o < out; o++) y[t * out + o] = dot(x, t * in, w, o * in, in);
        });
    }

    /**
     * dx [N, in] += dy [N, out] W (skipped when dx is null); dw [out, in] += dy^T x.
     * dx is split over rows of x, dw over rows of W; each sums over the other index in order.
     */
    public static void backward(float[] dx, float[] dw, float[] dy, float[] x, float[] w, int n, int in, int out, Parallel par) {
        if (dx != null) {
            par.forRange(n, 4, (from, to) -> {
                for (int t = from; t < to; t++)
                    for (int o = 0; o < out; o++) axpy(dy[t * out + o], w, o * in, dx, t * in, in);
            });
        }
        par.forRange(out, 8, (from, to) -> {
            for (int o = from; o < to; o++)
                for (int t = 0; t < n; t++) axpy(dy[t * out + o], x, t * in, dw, o * in, in);
        });
    }

    /** sum_i a[aOff + i] * b[bOff + i]. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        int i = 0, upper = S.loopBound(len);
        float sum = 0;
        if (upper > 0) {
            FloatVector acc = FloatVector.zero(S);
            for (; i < upper; i += S.length())
                acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
            sum = Lanes.sum(acc);
        }
        for (; i < len; i++) sum += a[aOff + i] * b[bOff + i];
        return sum;
    }

    /** y[yOff + i] += alpha * x[xOff + i]. */
    static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int len) {
        if (alpha == 0) return;
        int i = 0, upper = S.loopBound(len);
        FloatVector a = FloatVector.broadcast(S, alpha);
        for (; i < upper; i += S.length())
            FloatVector.fromArray(S, x, xOff + i).fma(a, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        for (; i < len; i++) y[yOff + i] += alpha * x[xOff + i];
    }
}
