package dev.actlab.quant;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaConfig;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/**
 * SmoothQuant (Xiao et al. 2023): migrate the difficulty of activation outliers into the weights
 * with per-input-channel scales s_j = max|X_j|^alpha / max|W_j|^(1 - alpha): X -> X diag(s)^-1,
 * W -> W diag(s), the float product unchanged ({@link ChannelScales}). max|X_j| over the calibration
 * windows, max|W_j| over every projection reading that input. By default the inputs of q, k, v and
 * of gate, up, folded into the preceding norms (the paper's choice); options {@code down} (folded
 * into up) and {@code o} (folded into v, one scale per value channel under grouped-query attention).
 * Must come before any quantization.
 */
public record SmoothQuant(float alpha, boolean down, boolean o) implements QuantStep {
    public SmoothQuant {
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("smoothquant alpha must be in [0, 1], got " + alpha);
    }

    @Override public boolean calibrates() { return true; }

    @Override public String describe() { return "smoothquant(alpha=" + alpha + (down ? ", down" : "") + (o ? ", o" : "") + ")"; }

    List<ChannelScales.Site> sites() {
        List<ChannelScales.Site> s = new ArrayList<>(List.of(ChannelScales.Site.ATTN_IN, ChannelScales.Site.MLP_IN));
        if (down) s.add(ChannelScales.Site.DOWN_IN);
        if (o) s.add(ChannelScales.Site.O_IN);
        return s;
    }

    @Override public void apply(QuantModel m, Calibration calib, Progress progress) {
        QuantStep.requireUnquantized(m, "smoothquant");
        if (calib == null) throw new IllegalArgumentException("smoothquant needs calibration text");
        LlamaConfig c = m.config();
        int L = c.layers();
        EnumSet<Linear> which = EnumSet.noneOf(Linear.class);
        for (ChannelScales.Site s : sites()) {
            which.add(s.readers.get(0));
            for (int l = 0; l < L; l++) ChannelScales.requireFoldable(m, l, s, "smoothquant(" + (s == ChannelScales.Site.DOWN_IN ? "down" : "o") + ")");
        }
        float[][][] xmax = new float[L][Linear.values().length][];
        calib.collect(m, which, (layer, lin, x, n, cols) -> {
            float[] mx = xmax[layer][lin.ordinal()];
            if (mx == null) mx = xmax[layer][lin.ordinal()] = new float[cols];
            for (int t = 0; t < n; t++) for (int j = 0; j < cols; j++) mx[j] = Math.max(mx[j], Math.abs(x[t * cols + j]));
        }, progress);
        for (int l = 0; l < L; l++)
            for (ChannelScales.Site site : sites()) {
                float[] xm = xmax[l][site.readers.get(0).ordinal()];
                if (site == ChannelScales.Site.O_IN) xm = ChannelScales.reducePerKv(c, xm, true);
                float[] wm = ChannelScales.weightColumnMax(m, l, site);
                float[] s = new float[xm.length];
                for (int j = 0; j < s.length; j++) s[j] = scale(xm[j], wm[j]);
                ChannelScales.fold(m, l, site, s);
            }
        m.log(describe());
    }

    /** s = max|X|^alpha / max|W|^(1 - alpha), 1 where either is 0, kept within [1e-5, 1e5]. */
    float scale(float xMax, float wMax) {
        if (!(xMax > 0) || !(wMax > 0)) return 1f;
        double s = Math.pow(xMax, alpha) / Math.pow(wMax, 1 - alpha);
        return (float) Math.max(1e-5, Math.min(1e5, s));
    }
}
