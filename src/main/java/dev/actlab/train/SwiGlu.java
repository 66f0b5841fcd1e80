package dev.actlab.train;

import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.SwiGluKernel;

/**
 * Gated MLP activation: h = silu(gate) * up, silu(g) = g * sigmoid(g). Element-wise, split over
 * chunks; the kernel's results do not depend on where a chunk starts.
 */
public final class SwiGlu {
    private SwiGlu() {}

    /** h, gate, up: [N, hidden] flattened, len = N * hidden. */
    public static void forward(float[] h, float[] gate, float[] up, int len, Parallel par) {
        par.forRange(len, 4096, (from, to) -> SwiGluKernel.forward(h, gate, up, from, to));
    }

    /** dGate = dh * up * silu'(gate), dUp = dh * silu(gate), overwriting both (no clearing pass first). */
    public static void backwardInto(float[] dGate, float[] dUp, float[] dh, float[] gate, float[] up, int len, Parallel par) {
        par.forRange(len, 4096, (from, to) -> SwiGluKernel.backward(dGate, dUp, dh, gate, up, from, to, false));
    }

    /** dGate += dh * up * silu'(gate), dUp += dh * silu(gate). */
    public static void backward(float[] dGate, float[] dUp, float[] dh, float[] gate, float[] up, int len, Parallel par) {
        par.forRange(len, 4096, (from, to) -> SwiGluKernel.backward(dGate, dUp, dh, gate, up, from, to));
    }
}
