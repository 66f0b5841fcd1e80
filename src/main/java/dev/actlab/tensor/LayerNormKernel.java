package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * LayerNorm over rows of width d: y = (x - mean) / scale * weight + bias with
 * scale = sqrt(var + eps) (biased variance, as BERT). Split in two steps so the hook sites between
 * them (hook_scale [n, 1], hook_normalized [n, d]) see TransformerLens' tensors. {@link #reference}
 * is the plain double-precision definition.
 */
public final class LayerNormKernel {
    private static final VectorSpecies<Float> S = VectorExp.S;

    private LayerNormKernel() {}

    /** scale[r] for rows [from, to) of x [n, d]; x[r] becomes (x[r] - mean) / scale[r]. */
    public static void normalize(float[] x, float[] scale, int d, float eps, int from, int to) {
        int upper = S.loopBound(d);
        for (int r = from; r < to; r++) {
            int o = r * d;
            FloatVector acc = FloatVector.zero(S);
            int i = 0;
            for (; i < upper; i += S.length()) acc = acc.add(FloatVector.fromArray(S, x, o + i));
            float sum = Lanes.sum(acc);
            for (; i < d; i++) sum += x[o + i];
            float mean = sum / d;
            FloatVector m = FloatVector.broadcast(S, mean);
            acc = FloatVector.zero(S);
            for (i = 0; i < upper; i += S.length()) {
                FloatVector c = FloatVector.fromArray(S, x, o + i).sub(m);
                acc = c.fma(c, acc);
            }
            float ss = Lanes.sum(acc);
            for (; i < d; i++) { float c = x[o + i] - mean; ss += c * c; }
            float sc = (float) Math.sqrt(ss / d + eps);
            scale[r] = sc;
            FloatVector inv = FloatVector.broadcast(S, sc);
            for (i = 0; i < upper; i += S.length()) FloatVector.fromArray(S, x, o + i).sub(m).div(inv).intoArray(x, o + i);
            for (; i < d; i++) x[o + i] = (x[o + i] - mean) / sc;
        }
    }

    /** x[r] = x[r] * weight + bias for rows [from, to). */
    public static void affine(float[] x, float[] weight, float[] bias, int d, int from, int to) {
        for (int r = from; r < to; r++) {
            int o = r * d;
            for (int i = 0; i < d; i++) x[o + i] = Math.fma(x[o + i], weight[i], bias[i]);
        }
    }

    /**
     * The residual add and the whole LayerNorm row by row, while each row is in L1: for rows
     * [from, to), x[r] = delta[r] + x[r] (the order the ONNX graph adds), then {@link #normalize},
     * then {@link #affine} - the same operations on each element as the three passes, so the same bits.
     */
    public static void addNormalizeAffine(float[] x, float[] delta, float[] scale, float[] weight, float[] bias, int d, float eps, int from, int to) {
        for (int r = from; r < to; r++) {
            int o = r * d, i = 0;
            for (int upper = S.loopBound(d); i < upper; i += S.length())
                FloatVector.fromArray(S, delta, o + i).add(FloatVector.fromArray(S, x, o + i)).intoArray(x, o + i);
            for (; i < d; i++) x[o + i] = delta[o + i] + x[o + i];
            normalize(x, scale, d, eps, r, r + 1);
            affine(x, weight, bias, d, r, r + 1);
        }
    }

    /** Plain scalar reference of normalize + affine for rows [0, n), in double. */
    public static void reference(float[] x, float[] weight, float[] bias, int d, float eps, int n) {
        for (int r = 0; r < n; r++) {
            double mean = 0, var = 0;
            for (int i = 0; i < d; i++) mean += x[r * d + i];
            mean /= d;
            for (int i = 0; i < d; i++) { double c = x[r * d + i] - mean; var += c * c; }
            double sc = Math.sqrt(var / d + eps);
            for (int i = 0; i < d; i++) x[r * d + i] = (float) ((x[r * d + i] - mean) / sc * weight[i] + bias[i]);
        }
    }
}
