package dev.actlab.quant;

import dev.actlab.io.Progress;
import java.util.EnumSet;
import java.util.SplittableRandom;

/**
 * NoisyQuant (Liu et al. 2023): static per-tensor activation quantization with a fixed noisy bias.
 * Each projection's input gets a fixed vector N drawn once from U(-step/2, step/2) (step: the
 * quantization step of that input's calibrated scale) added before quantization, and -W N added to
 * the output, so the float product is unchanged and only the rounding error changes: the noise
 * breaks the alignment of activation values with the grid, turning a biased error of
 * heavy-tailed activations into a flatter one. The scale is calibrated as the largest |x| over the
 * calibration windows (plus half a step for the noise).
 */
public record NoisyQuant(NumberFormat format, long seed) implements QuantStep {
    public NoisyQuant {
        if (!(format.element() instanceof IntGrid g && g.signed()))
            throw new IllegalArgumentException("noisyquant needs a symmetric integer format (a uniform step for the noise), not " + format.name());
    }

    @Override public boolean calibrates() { return true; }

    @Override public String describe() { return "noisyquant(a=" + format.name() + ", seed=" + seed + ")"; }

    @Override public void apply(QuantModel m, Calibration calib, Progress progress) {
        if (calib == null) throw new IllegalArgumentException("noisyquant needs calibration text");
        int L = m.layers();
        for (int l = 0; l < L; l++)
            for (Linear lin : Linear.values()) m.setInput(l, lin, m.input(l, lin).withQuantizer(null).withNoise(null));
        float[][] amax = new float[L][Linear.values().length];
        calib.collect(m, EnumSet.allOf(Linear.class), (layer, lin, x, n, cols) -> {
            float a = amax[layer][lin.ordinal()];
            for (int i = 0; i < n * cols; i++) a = Math.max(a, Math.abs(x[i]));
            amax[layer][lin.ordinal()] = a;
        }, progress);
        SplittableRandom rng = new SplittableRandom(seed);
        float qmax = format.element().max();
        for (int l = 0; l < L; l++)
            for (Linear lin : Linear.values()) {
                int cols = lin.cols(m.config());
                float a = amax[l][lin.ordinal()];
                float step = a / qmax;
                GroupScale s = format.scaleForMagnitude(a + step / 2, 1f);
                float[] noise = new float[cols];
                for (int j = 0; j < cols; j++) noise[j] = (float) ((rng.nextDouble() - 0.5) * s.scale());
                m.setInput(l, lin, m.input(l, lin).withNoise(noise)
                        .withQuantizer(new ActivationQuantizer(format, Granularity.TENSOR, 1f, s)));
            }
        m.log(describe());
    }
}
