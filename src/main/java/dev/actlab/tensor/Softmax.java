package dev.actlab.tensor;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax over rows, forward and backward, built from {@link VectorExp}. Maxima are exact in any
 * order; sums run over the vector lanes in a fixed order ({@link Lanes#sum}) and then the scalar
 * tail, so a row's bits depend only on its values, never on the thread that computes it.
 * {@link #reference} and {@link #backwardReference} are the plain double-precision definitions.
 */
public final class Softmax {
    private static final VectorSpecies<Float> S = VectorExp.S;
    private static final int L = S.length();

    private Softmax() {}

    /** In place: row[off, off + len) = softmax(row[off, off + len)). */
    public static void row(float[] row, int off, int len) {
        float max = max(row, off, len);
        float sum = expShifted(row, row, off, len, max);
        scale(row, off, len, 1f / sum);
    }

    /** max of x[off, off + len). */
    public static float max(float[] x, int off, int len) {
        int i = 0, upper = S.loopBound(len);
        float m = Float.NEGATIVE_INFINITY;
        if (upper > 0) {
            FloatVector acc = FloatVector.fromArray(S, x, off);
            for (i = L; i < upper; i += L) acc = acc.max(FloatVector.fromArray(S, x, off + i));
            m = acc.reduceLanes(VectorOperators.MAX);   // max is exact in any order
        }
        for (; i < len; i++) m = Math.max(m, x[off + i]);
        return m;
    }

    /** out[off + i] = e^(x[off + i] - shift) (out may be x); returns their sum. */
    public static float expShifted(float[] x, float[] out, int off, int len, float shift) {
        int i = 0, upper = S.loopBound(len);
        FloatVector acc = FloatVector.zero(S);
        for (; i < upper; i += L) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(S, x, off + i).sub(shift));
            e.intoArray(out, off + i);
            acc = acc.add(e);
        }
        float sum = Lanes.sum(acc);
        for (; i < len; i++) { float e = VectorExp.exp(x[off + i] - shift); out[off + i] = e; sum += e; }
        return sum;
    }

    /** x[off + i] *= a. */
    public static void scale(float[] x, int off, int len, float a) {
        int i = 0, upper = S.loopBound(len);
        for (; i < upper; i += L) FloatVector.fromArray(S, x, off + i).mul(a).intoArray(x, off + i);
        for (; i < len; i++) x[off + i] *= a;
    }

    /** x[off + i] /= d: a division, not a multiplication by 1 / d, because BERT's graph divides its scores by sqrt(head size). */
    public static void divide(float[] x, int off, int len, float d) {
        int i = 0, upper = S.loopBound(len);
        for (; i < upper; i += L) FloatVector.fromArray(S, x, off + i).div(d).intoArray(x, off + i);
        for (; i < len; i++) x[off + i] /= d;
    }

    /**
     * One causal row in place: x[i] = softmax(x * scale) over the row's first len entries, zeros
     * after them up to cap. The last partial vector is computed as a vector with its lanes past len
     * masked (to -inf for the max, to 0 after the exp) when it lies inside the row; otherwise the
     * scalar twin of VectorExp.exp finishes the row.
     */
    public static void causalRow(float[] x, int off, int len, int cap, float scale) {
        int full = S.loopBound(len), i;
        boolean tail = full < len && full + L <= cap;
        VectorMask<Float> in = tail ? S.indexInRange(full, len) : null;
        FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (i = 0; i < full; i += L) mx = mx.max(FloatVector.fromArray(S, x, off + i));
        if (tail) mx = mx.max(FloatVector.fromArray(S, x, off + full).blend(Float.NEGATIVE_INFINITY, in.not()));
        float max = mx.reduceLanes(VectorOperators.MAX);
        for (i = full; !tail && i < len; i++) max = Math.max(max, x[off + i]);
        max *= scale;   // = the max of the scaled scores: rounding is monotonic and scale > 0
        FloatVector acc = FloatVector.zero(S);
        for (i = 0; i < full; i += L) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(S, x, off + i).mul(scale).sub(max));
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        if (tail) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(S, x, off + full).mul(scale).sub(max)).blend(0f, in.not());
            e.intoArray(x, off + full);
            acc = acc.add(e);
        }
        float sum = Lanes.sum(acc);
        for (i = full; !tail && i < len; i++) { float e = VectorExp.exp(x[off + i] * scale - max); x[off + i] = e; sum += e; }
        float inv = 1f / sum;
        int end = tail ? full + L : full;
        for (i = 0; i < end; i += L) FloatVector.fromArray(S, x, off + i).mul(inv).intoArray(x, off + i);
        for (i = end; i < len; i++) x[off + i] *= inv;
        Arrays.fill(x, off + Math.max(len, end), off + cap, 0f);
    }

    /**
     * The backward of {@link #causalRow}, in place: ds[i] = p[i] (ds[i] - sum_j p[j] ds[j]) * scale
     * over the row's first len entries, zeros after them up to cap.
     */
    public static void backwardRow(float[] ds, int dOff, float[] p, int pOff, int len, int cap, float scale) {
        int upper = S.loopBound(len), i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i < upper; i += L) acc = FloatVector.fromArray(S, p, pOff + i).fma(FloatVector.fromArray(S, ds, dOff + i), acc);
        float pdp = Lanes.sum(acc);
        for (; i < len; i++) pdp = Math.fma(p[pOff + i], ds[dOff + i], pdp);
        for (i = 0; i < upper; i += L) {
            FloatVector d = FloatVector.fromArray(S, ds, dOff + i).sub(pdp);
            FloatVector.fromArray(S, p, pOff + i).mul(d).mul(scale).intoArray(ds, dOff + i);
        }
        for (; i < len; i++) ds[dOff + i] = p[pOff + i] * (ds[dOff + i] - pdp) * scale;
        Arrays.fill(ds, dOff + len, dOff + cap, 0f);
    }

    /** softmax(x[off, off + len) * scale) in double: the definition the kernels approximate. */
    public static double[] reference(float[] x, int off, int len, double scale) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int i = 0; i < len; i++) max = Math.max(max, x[off + i] * scale);
        double[] p = new double[len];
        for (int i = 0; i < len; i++) { p[i] = Math.exp(x[off + i] * scale - max); sum += p[i]; }
        for (int i = 0; i < len; i++) p[i] /= sum;
        return p;
    }

    /** dL/ds = p (dp - sum_j p_j dp_j) * scale in double, for upstream gradients dp at probabilities p. */
    public static double[] backwardReference(float[] dp, int dOff, float[] p, int pOff, int len, double scale) {
        double pdp = 0;
        for (int i = 0; i < len; i++) pdp += (double) p[pOff + i] * dp[dOff + i];
        double[] ds = new double[len];
        for (int i = 0; i < len; i++) ds[i] = p[pOff + i] * (dp[dOff + i] - pdp) * scale;
        return ds;
    }
}
