package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * GELU with the error function (BERT's "gelu", not the tanh approximation):
 * gelu(x) = x/2 (1 + erf(x / sqrt 2)). erf by Abramowitz and Stegun 7.1.26 (absolute error below
 * 1.5e-7): erfc(z) = t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) e^(-z^2) with t = 1 / (1 + p z), z >= 0.
 * For x < 0 the factor 1 + erf = erfc(|x| / sqrt 2) is used directly, so there is no cancellation.
 * {@link #scalar} is the twin that gives the vector lanes' bits.
 */
public final class GeluKernel {
    private static final VectorSpecies<Float> S = VectorExp.S;
    private static final float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;
    private static final float INV_SQRT2 = 0.70710678118654752f;

    private GeluKernel() {}

    /** In place over x[from, to). */
    public static void apply(float[] x, int from, int to) {
        int i = from;
        for (int upper = from + S.loopBound(to - from); i < upper; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector z = v.abs().mul(INV_SQRT2);
            FloatVector t = FloatVector.broadcast(S, 1f).div(z.fma(FloatVector.broadcast(S, P), FloatVector.broadcast(S, 1f)));
            FloatVector poly = t.fma(FloatVector.broadcast(S, A5), FloatVector.broadcast(S, A4));
            poly = poly.fma(t, FloatVector.broadcast(S, A3));
            poly = poly.fma(t, FloatVector.broadcast(S, A2));
            poly = poly.fma(t, FloatVector.broadcast(S, A1));
            FloatVector erfc = poly.mul(t).mul(VectorExp.exp(z.mul(z).neg()));
            VectorMask<Float> neg = v.lt(0f);
            FloatVector onePlusErf = FloatVector.broadcast(S, 2f).sub(erfc).blend(erfc, neg);
            v.mul(0.5f).mul(onePlusErf).intoArray(x, i);
        }
        for (; i < to; i++) x[i] = scalar(x[i]);
    }

    /** One value with the same arithmetic as {@link #apply}. */
    public static float scalar(float x) {
        float z = Math.abs(x) * INV_SQRT2;
        float t = 1f / Math.fma(z, P, 1f);
        float poly = Math.fma(t, A5, A4);
        poly = Math.fma(poly, t, A3);
        poly = Math.fma(poly, t, A2);
        poly = Math.fma(poly, t, A1);
        float erfc = poly * t * VectorExp.exp(-(z * z));
        float onePlusErf = x < 0 ? erfc : 2f - erfc;
        return x * 0.5f * onePlusErf;
    }
}
