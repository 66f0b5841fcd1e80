package dev.actlab.train;

import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.SwiGluKernel;
import dev.actlab.tensor.ZeroCount;
import java.util.concurrent.atomic.AtomicLong;

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

    /**
     * {@link #forward}, also counting the exact zeros of h: each chunk is counted right after it is
     * written, while it is still in cache (TrainModel reports the fraction per layer).
     */
    public static long forwardCountingZeros(float[] h, float[] gate, float[] up, int len, Parallel par) {
        AtomicLong zeros = new AtomicLong();
        par.forRange(len, 4096, (from, to) -> {
            SwiGluKernel.forward(h, gate, up, from, to);
            zeros.addAndGet(ZeroCount.count(h, from, to));
        });
        return zeros.get();
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
