package dev.actlab.train;

import dev.actlab.tensor.Gemm;
import dev.actlab.tensor.Parallel;
import java.util.Arrays;

/**
 * y = x W^T with W [out, in] row-major (the layout of dev.actlab.tensor.F32Matrix), and its
 * gradients. All three products (forward, dx, dW) are one GEMM, {@link Gemm}, with W stored
 * transposed for forward and dy for dW: every element is one fused multiply-add chain in index
 * order, bit-identical for any thread count.
 */
public final class Matmul {
    private Matmul() {}

    /** y [N, out] = x [N, in] W^T, W [out, in]. */
    public static void forward(float[] y, float[] x, float[] w, int n, int in, int out, Parallel par) {
        if (in == 0) { Arrays.fill(y, 0, n * out, 0f); return; }
        Gemm.multiply(y, 0, out, x, 0, in, false, w, 0, in, true, n, in, out, Gemm.Zeros.C_BEFORE, par);
    }

    /** dx [N, in] = dy [N, out] W, overwriting dx (no clearing pass first): the same bits as clearing dx, then {@link #backward}. */
    public static void backwardDxInto(float[] dx, float[] dy, float[] w, int n, int in, int out, Parallel par) {
        if (out == 0) { Arrays.fill(dx, 0, n * in, 0f); return; }
        Gemm.multiply(dx, 0, in, dy, 0, out, false, w, 0, in, false, n, out, in, Gemm.Zeros.C_BEFORE, par);
    }

    /** dx [N, in] += dy [N, out] W; dw [out, in] += dy^T x; either is skipped when null. */
    public static void backward(float[] dx, float[] dw, float[] dy, float[] x, float[] w, int n, int in, int out, Parallel par) {
        if (dx != null) Gemm.multiply(dx, dy, false, w, false, n, out, in, par);
        if (dw != null) Gemm.multiply(dw, dy, true, x, false, out, n, in, par);
    }
}
