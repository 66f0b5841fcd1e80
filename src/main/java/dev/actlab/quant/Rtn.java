package dev.actlab.quant;

import dev.actlab.io.Progress;

/** Round to nearest: every projection's weights fake-quantized with the quantizer, nothing else. */
public record Rtn(Quantizer quantizer) implements QuantStep {
    @Override public String describe() { return "rtn(w=" + quantizer.format().name() + ", g=" + quantizer.granularity() + clip() + ")"; }

    private String clip() { return quantizer.clip() < 1 ? ", clip=" + quantizer.clip() : ""; }

    @Override public void apply(QuantModel m, Calibration calib, Progress progress) {
        int L = m.layers(), done = 0;
        for (int l = 0; l < L; l++) {
            for (Linear lin : Linear.values()) {
                float[] w = m.weight(l, lin).clone();
                quantizer.apply(w, 0, lin.rows(m.config()), lin.cols(m.config()));
                m.setQuantizedWeight(l, lin, w, quantizer);
            }
            progress.update(++done, L);
        }
        m.log(describe());
    }
}
