package dev.actlab.train;

import dev.actlab.tensor.Parallel;

/** Gated MLP activation: h = silu(gate) * up, silu(g) = g * sigmoid(g). Element-wise, split over chunks. */
public final class SwiGlu {
    private SwiGlu() {}

    /** h, gate, up: [N, hidden] flattened, len = N * hidden. */
    public static void forward(float[] h, float[] gate, float[] up, int len, Parallel par) {
        par.forRange(len, 4096, (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = gate[i];
                h[i] = g / (1f + (float) Math.exp(-g)) * up[i];
            }
        });
    }

    /** dGate += dh * up * silu'(gate), dUp += dh * silu(gate); silu'(g) = s (1 + g (1 - s)), s = sigmoid(g). */
    public static void backward(float[] dGate, float[] dUp, float[] dh, float[] gate, float[] up, int len, Parallel par) {
        par.forRange(len, 4096, (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = gate[i];
                float s = 1f / (1f + (float) Math.exp(-g));
                dGate[i] += dh[i] * up[i] * s * (1f + g * (1f - s));
                dUp[i] += dh[i] * g * s;
            }
        });
    }
}
