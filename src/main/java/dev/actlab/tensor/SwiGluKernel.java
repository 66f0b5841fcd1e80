package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The gated MLP activation h = silu(gate) * up, silu(g) = g * sigmoid(g), and its backward, over
 * element ranges. Vector lanes and the scalar tail do the same float operations, so results do not
 * depend on where a range starts; {@link #forwardScalar} and {@link #backwardScalar} are those
 * scalar operations over a whole range.
 */
public final class SwiGluKernel {
    private static final VectorSpecies<Float> S = VectorExp.S;
    private static final int L = S.length();

    private SwiGluKernel() {}

    /** h[i] = silu(gate[i]) * up[i] for i in [from, to). */
    public static void forward(float[] h, float[] gate, float[] up, int from, int to) {
        int i = from;
        for (; i + L <= to; i += L) {
            FloatVector g = FloatVector.fromArray(S, gate, i);
            g.div(VectorExp.exp(g.neg()).add(1f)).mul(FloatVector.fromArray(S, up, i)).intoArray(h, i);
        }
        forwardScalar(h, gate, up, i, to);
    }

    /** dGate[i] += dh up silu'(gate), dUp[i] += dh silu(gate) for i in [from, to); silu'(g) = s (1 + g (1 - s)), s = sigmoid(g). */
    public static void backward(float[] dGate, float[] dUp, float[] dh, float[] gate, float[] up, int from, int to) {
        backward(dGate, dUp, dh, gate, up, from, to, true);
    }

    /** {@link #backward}, or with accumulate false dGate[i] = ..., dUp[i] = ... without reading them (no clearing pass first). */
    public static void backward(float[] dGate, float[] dUp, float[] dh, float[] gate, float[] up, int from, int to, boolean accumulate) {
        int i = from;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (; i + L <= to; i += L) {
            FloatVector g = FloatVector.fromArray(S, gate, i), d = FloatVector.fromArray(S, dh, i);
            FloatVector s = one.div(VectorExp.exp(g.neg()).add(1f));
            FloatVector dg = d.mul(FloatVector.fromArray(S, up, i)).mul(s).mul(one.add(g.mul(one.sub(s)))), du = d.mul(g).mul(s);
            (accumulate ? dg.add(FloatVector.fromArray(S, dGate, i)) : dg).intoArray(dGate, i);
            (accumulate ? du.add(FloatVector.fromArray(S, dUp, i)) : du).intoArray(dUp, i);
        }
        backwardScalar(dGate, dUp, dh, gate, up, i, to, accumulate);
    }

    /** {@link #forward} one element at a time. */
    public static void forwardScalar(float[] h, float[] gate, float[] up, int from, int to) {
        for (int i = from; i < to; i++) {
            float g = gate[i];
            h[i] = g / (VectorExp.exp(-g) + 1f) * up[i];
        }
    }

    /** {@link #backward} one element at a time. */
    public static void backwardScalar(float[] dGate, float[] dUp, float[] dh, float[] gate, float[] up, int from, int to) {
        backwardScalar(dGate, dUp, dh, gate, up, from, to, true);
    }

    /** {@link #backward} (accumulating or not) one element at a time. */
    public static void backwardScalar(float[] dGate, float[] dUp, float[] dh, float[] gate, float[] up, int from, int to, boolean accumulate) {
        for (int i = from; i < to; i++) {
            float g = gate[i];
            float s = 1f / (VectorExp.exp(-g) + 1f);
            float dg = dh[i] * up[i] * s * (1f + g * (1f - s)), du = dh[i] * g * s;
            dGate[i] = accumulate ? dGate[i] + dg : dg;
            dUp[i] = accumulate ? dUp[i] + du : du;
        }
    }
}
