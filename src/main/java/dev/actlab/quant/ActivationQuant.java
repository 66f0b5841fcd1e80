package dev.actlab.quant;

import dev.actlab.io.Progress;
import java.util.EnumSet;

/**
 * Activation quantization at the input of every projection: per token, dynamically (the scale of
 * each row fitted as it arrives), or per tensor, statically (one scale per projection input,
 * calibrated as clip times the largest |x| the calibration windows produce there, then fixed).
 * Replaces an activation quantizer set by an earlier step; keeps rotations and noise.
 */
public record ActivationQuant(NumberFormat format, Granularity granularity, float clip) implements QuantStep {
    public ActivationQuant {
        if (!(clip > 0 && clip <= 1)) throw new IllegalArgumentException("activation clip ratio must be in (0, 1], got " + clip);
        if (format.block() > 0) granularity = Granularity.group(format.block());
    }

    public boolean isStatic() { return granularity.kind() == Granularity.Kind.TENSOR; }

    @Override public boolean calibrates() { return isStatic(); }

    @Override public String describe() {
        String g = switch (granularity.kind()) { case TENSOR -> "tensor"; case ROW -> "token"; case GROUP -> String.valueOf(granularity.size()); };
        return "rtn(a=" + format.name() + ", ag=" + g + (clip < 1 ? ", aclip=" + clip : "") + ")";
    }

    @Override public void apply(QuantModel m, Calibration calib, Progress progress) {
        int L = m.layers();
        if (!isStatic()) {
            for (int l = 0; l < L; l++)
                for (Linear lin : Linear.values())
                    m.setInput(l, lin, m.input(l, lin).withQuantizer(new ActivationQuantizer(format, granularity, clip, null)));
            progress.update(1, 1);
            m.log(describe());
            return;
        }
        if (calib == null) throw new IllegalArgumentException(describe() + ": static activation scales need calibration text");
        for (int l = 0; l < L; l++)                                       // calibrate what the input is without an activation quantizer
            for (Linear lin : Linear.values()) m.setInput(l, lin, m.input(l, lin).withQuantizer(null));
        float[][] lo = new float[L][Linear.values().length], hi = new float[L][Linear.values().length];
        calib.collect(m, EnumSet.allOf(Linear.class), (layer, lin, x, n, cols) -> {
            float a = lo[layer][lin.ordinal()], b = hi[layer][lin.ordinal()];
            for (int i = 0; i < n * cols; i++) { float v = x[i]; if (v < a) a = v; if (v > b) b = v; }
            lo[layer][lin.ordinal()] = a; hi[layer][lin.ordinal()] = b;
        }, progress);
        for (int l = 0; l < L; l++)
            for (Linear lin : Linear.values()) {
                GroupScale s = format.scaleForRange(lo[l][lin.ordinal()], hi[l][lin.ordinal()], clip);
                m.setInput(l, lin, m.input(l, lin).withQuantizer(new ActivationQuantizer(format, Granularity.TENSOR, clip, s)));
            }
        m.log(describe());
    }
}
