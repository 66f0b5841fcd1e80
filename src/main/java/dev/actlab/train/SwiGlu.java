package dev.actlab.train;

import dev.actlab.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Gated MLP activation: h = silu(gate) * up, silu(g) = g * sigmoid(g). Element-wise, split over
 * chunks; vector lanes and the scalar tail do the same float operations, so results do not
 * depend on where a chunk starts.
 */
public final class SwiGlu {
    private static final VectorSpecies<Float> S = VectorExp.S;

    private SwiGlu() {}

    /** h, gate, up: [N, hidden] flattened, len = N * hidden. */
    public static void forward(float[] h, float[] gate, float[] up, int len, Parallel par) {
        par.forRange(len, 4096, (from, to) -> {
            int i = from;
            for (; i + S.length() <= to; i += S.length()) {
                FloatVector g = FloatVector.fromArray(S, gate, i);
                g.div(VectorExp.exp(g.neg()).add(1f)).mul(FloatVector.fromArray(S, up, i)).intoArray(h, i);
            }
            for (; i < to; i++) {
                float g = gate[i];
                h[i] = g / (VectorExp.exp(-g) + 1f) * up[i];
            }
        });
    }

    /** dGate += dh * up * silu'(gate), dUp += dh * silu(gate); silu'(g) = s (1 + g (1 - s)), s = sigmoid(g). */
    public static void backward(float[] dGate, float[] dUp, float[] dh, float[] gate, float[] up, int len, Parallel par) {
        par.forRange(len, 4096, (from, to) -> {
            int i = from;
            for (; i + S.length() <= to; i += S.length()) {
                FloatVector g = FloatVector.fromArray(S, gate, i), d = FloatVector.fromArray(S, dh, i);
                FloatVector s = VectorExp.exp(g.neg()).add(1f);
                s = FloatVector.broadcast(S, 1f).div(s);
                FloatVector one = FloatVector.broadcast(S, 1f);
                d.mul(FloatVector.fromArray(S, up, i)).mul(s).mul(one.add(g.mul(one.sub(s))))
                        .add(FloatVector.fromArray(S, dGate, i)).intoArray(dGate, i);
                d.mul(g).mul(s).add(FloatVector.fromArray(S, dUp, i)).intoArray(dUp, i);
            }
            for (; i < to; i++) {
                float g = gate[i];
                float s = 1f / (VectorExp.exp(-g) + 1f);
                dGate[i] += dh[i] * up[i] * s * (1f + g * (1f - s));
                dUp[i] += dh[i] * g * s;
            }
        });
    }
}
