package dev.actlab.quant;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.tensor.Parallel;

/**
 * Round to nearest with a searched clip ratio: for each row or group of weights, the ratio c in
 * {1, 1 - (1 - min) / grid, ..., min} whose fake quantization (range c * max|w|) has the least
 * squared error against the float weights. Clipping the few largest weights buys a finer step for
 * all the others; the search takes it only where it pays.
 */
public record ClipSearch(Quantizer quantizer, int grid, float min) implements QuantStep {
    public ClipSearch {
        if (quantizer.granularity().kind() == Granularity.Kind.TENSOR) throw new IllegalArgumentException("clip search works per row or group");
        if (grid < 1) throw new IllegalArgumentException("clip grid must be >= 1, got " + grid);
        if (!(min > 0 && min <= 1)) throw new IllegalArgumentException("smallest clip ratio must be in (0, 1], got " + min);
    }

    @Override public String describe() {
        return "clip(w=" + quantizer.format().name() + ", g=" + quantizer.granularity() + ", grid=" + grid + ", min=" + min + ")";
    }

    @Override public void apply(QuantModel m, Calibration calib, Progress progress) {
        LlamaConfig c = m.config();
        int L = m.layers();
        for (int l = 0; l < L; l++) {
            for (Linear lin : Linear.values()) {
                float[] w = m.weight(l, lin);
                m.setQuantizedWeight(l, lin, quantize(w, lin.rows(c), lin.cols(c), Parallel.shared()), quantizer);
            }
            progress.update(l + 1, L);
        }
        m.log(describe());
    }

    /** The quantized weights with the best clip ratio per row or group (w is not changed). */
    public float[] quantize(float[] w, int rows, int cols, Parallel par) {
        int g = quantizer.granularity().groupLength(cols);
        NumberFormat f = quantizer.format();
        float[] out = w.clone();
        par.forRange(rows, 4, (from, to) -> {
            float[] trial = new float[g];
            for (int r = from; r < to; r++)
                for (int c0 = 0; c0 < cols; c0 += g) {
                    int off = r * cols + c0, len = Math.min(g, cols - c0);
                    double best = Double.POSITIVE_INFINITY;
                    float bestClip = 1f;
                    for (int k = 0; k <= grid; k++) {
                        float clip = 1f - (1f - min) * k / grid;
                        System.arraycopy(w, off, trial, 0, len);
                        f.fakeQuant(trial, 0, len, clip);
                        double e = 0;
                        for (int i = 0; i < len; i++) { double d = trial[i] - w[off + i]; e += d * d; }
                        if (e < best) { best = e; bestClip = clip; }
                    }
                    f.fakeQuant(out, off, len, bestClip);
                }
        });
        return out;
    }
}
