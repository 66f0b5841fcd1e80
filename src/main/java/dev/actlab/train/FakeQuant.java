package dev.actlab.train;

import dev.actlab.tensor.QuantFormat;

import dev.actlab.tensor.Parallel;

/**
 * Fake quantization (quantize, then dequantize back to float) of a row-major [rows, cols] array,
 * symmetric per group: each row is cut into groups of G consecutive values along cols (the
 * input dimension of a linear layer; the last group may be shorter), and each group gets
 * scale = max|x| / qmax, x -> round(x / scale) * scale. A group of zeros stays zero.
 *
 * The backward pass is the straight-through estimator: d out / d in = identity, the gradient
 * passes unchanged. With absmax scaling no value of a group lies outside [-qmax, qmax] * scale,
 * so the clipped variant of the STE (zero gradient outside the clipping range) would be the same
 * estimator: there is nothing to clip. That is why no mask is kept.
 */
public final class FakeQuant {
    private FakeQuant() {}

    public static final int DEFAULT_GROUP = 32;

    /** out [rows, cols] = fakequant(x [rows, cols]); out may be x. Rows split over threads: bit-identical for any count. */
    public static void forward(float[] out, float[] x, int rows, int cols, QuantFormat f, int group, Parallel par) {
        if (group < 1) throw new IllegalArgumentException("group size must be >= 1, got " + group);
        par.forRange(rows, 16, (from, to) -> {
            for (int r = from; r < to; r++)
                for (int g0 = 0; g0 < cols; g0 += group) quantizeGroup(out, x, r * cols + g0, Math.min(group, cols - g0), f);
        });
    }

    /** One group [off, off + len). */
    static void quantizeGroup(float[] out, float[] x, int off, int len, QuantFormat f) {
        float absmax = 0;
        for (int i = off; i < off + len; i++) absmax = Math.max(absmax, Math.abs(x[i]));
        if (absmax == 0) { for (int i = off; i < off + len; i++) out[i] = 0; return; }
        float scale = absmax / f.qmax;
        for (int i = off; i < off + len; i++) out[i] = f.round(x[i] / scale) * scale;
    }

    /** Straight-through estimator: dx += dy. */
    public static void backward(float[] dx, float[] dy, int n) {
        for (int i = 0; i < n; i++) dx[i] += dy[i];
    }
}
