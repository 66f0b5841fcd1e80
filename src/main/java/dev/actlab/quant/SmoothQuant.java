package dev.actlab.quant;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaConfig;
import java.util.EnumSet;

/**
 * SmoothQuant (Xiao et al. 2023): migrate the difficulty of activation outliers into the weights
 * with per-input-channel scales s_j = max|X_j|^alpha / max|W_j|^(1 - alpha): X -> X diag(s)^-1,
 * W -> W diag(s), the float product unchanged. max|X_j| is taken over the calibration windows,
 * max|W_j| over every projection reading that input. Where the division goes:
 * <ul>
 * <li>q, k, v: into the attention norm's weight (attn_norm[j] /= s_j);
 * <li>gate, up: into the MLP norm's weight;
 * <li>down (option {@code down}): into the rows of up (mlp.hook_post = silu(gate) * up is linear in up);
 * <li>o (option {@code o}): into the rows of v (hook_z mixes values linearly); with grouped-query
 *     attention each value channel feeds several heads, so those share one scale.
 * </ul>
 * Must come before any quantization. down and o need inputs without an online rotation.
 */
public record SmoothQuant(float alpha, boolean down, boolean o) implements QuantStep {
    public SmoothQuant {
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("smoothquant alpha must be in [0, 1], got " + alpha);
    }

    @Override public boolean calibrates() { return true; }

    @Override public String describe() { return "smoothquant(alpha=" + alpha + (down ? ", down" : "") + (o ? ", o" : "") + ")"; }

    @Override public void apply(QuantModel m, Calibration calib, Progress progress) {
        QuantStep.requireUnquantized(m, "smoothquant");
        LlamaConfig c = m.config();
        int L = c.layers();
        if (calib == null) throw new IllegalArgumentException("smoothquant needs calibration text");
        EnumSet<Linear> which = EnumSet.of(Linear.Q, Linear.GATE);
        if (down) which.add(Linear.DOWN);
        if (o) which.add(Linear.O);
        for (int l = 0; l < L; l++)
            for (Linear lin : which)
                if (m.input(l, lin).rotation() != null)
                    throw new IllegalArgumentException("smoothquant(" + lin.name().toLowerCase() + "): " + lin.nameAt(l) + "'s input is rotated online; its scales cannot be folded into the previous projection (put smoothquant before hadamard, or drop this option)");
        float[][][] xmax = new float[L][Linear.values().length][];
        calib.collect(m, which, (layer, lin, x, n, cols) -> {
            float[] mx = xmax[layer][lin.ordinal()];
            if (mx == null) mx = xmax[layer][lin.ordinal()] = new float[cols];
            for (int t = 0; t < n; t++) for (int j = 0; j < cols; j++) mx[j] = Math.max(mx[j], Math.abs(x[t * cols + j]));
        }, progress);
        for (int l = 0; l < L; l++) {
            smoothNormed(m, l, Linear.Q, new Linear[]{Linear.Q, Linear.K, Linear.V}, m.attnNorm(l), xmax[l][Linear.Q.ordinal()]);
            smoothNormed(m, l, Linear.GATE, new Linear[]{Linear.GATE, Linear.UP}, m.ffnNorm(l), xmax[l][Linear.GATE.ordinal()]);
            if (down) smoothDown(m, l, xmax[l][Linear.DOWN.ordinal()]);
            if (o) smoothO(m, l, xmax[l][Linear.O.ordinal()]);
        }
        m.log(describe());
    }

    /** s = max|X|^alpha / max|W|^(1 - alpha), 1 where either is 0, kept within [1e-5, 1e5]. */
    float scale(float xMax, float wMax) {
        if (!(xMax > 0) || !(wMax > 0)) return 1f;
        double s = Math.pow(xMax, alpha) / Math.pow(wMax, 1 - alpha);
        return (float) Math.max(1e-5, Math.min(1e5, s));
    }

    private void smoothNormed(QuantModel m, int l, Linear key, Linear[] readers, float[] norm, float[] xmax) {
        LlamaConfig c = m.config();
        int cols = key.cols(c);
        float[] wmax = new float[cols];
        for (Linear lin : readers) columnMax(m.weight(l, lin), lin.rows(c), cols, wmax);
        float[] s = new float[cols];
        for (int j = 0; j < cols; j++) s[j] = scale(xmax[j], wmax[j]);
        for (Linear lin : readers) HadamardRotation.scaleColumns(m.weight(l, lin), lin.rows(c), s);
        for (int j = 0; j < cols; j++) norm[j] /= s[j];
    }

    private void smoothDown(QuantModel m, int l, float[] xmax) {
        LlamaConfig c = m.config();
        int hidden = c.hiddenDim(), dim = c.dim();
        float[] wmax = new float[hidden];
        columnMax(m.weight(l, Linear.DOWN), dim, hidden, wmax);
        float[] s = new float[hidden];
        for (int j = 0; j < hidden; j++) s[j] = scale(xmax[j], wmax[j]);
        HadamardRotation.scaleColumns(m.weight(l, Linear.DOWN), dim, s);
        float[] up = m.weight(l, Linear.UP);
        for (int j = 0; j < hidden; j++) for (int i = 0; i < dim; i++) up[j * dim + i] /= s[j];
    }

    private void smoothO(QuantModel m, int l, float[] xmax) {
        LlamaConfig c = m.config();
        int dim = c.dim(), qDim = c.qDim(), hs = c.headSize(), group = c.heads() / c.kvHeads(), kvDim = c.kvDim();
        float[] wo = m.weight(l, Linear.O), wv = m.weight(l, Linear.V), vb = m.vBias(l);
        float[] wmax = new float[qDim];
        columnMax(wo, dim, qDim, wmax);
        for (int kv = 0; kv < kvDim; kv++) {                       // value channel kv feeds channel (h, i) of every head h in its group
            int kvh = kv / hs, i = kv % hs;
            float xm = 0, wm = 0;
            for (int h = kvh * group; h < (kvh + 1) * group; h++) { xm = Math.max(xm, xmax[h * hs + i]); wm = Math.max(wm, wmax[h * hs + i]); }
            float s = scale(xm, wm);
            for (int j = 0; j < dim; j++) wv[kv * dim + j] /= s;
            if (vb != null) vb[kv] /= s;
            for (int h = kvh * group; h < (kvh + 1) * group; h++)
                for (int r = 0; r < dim; r++) wo[r * qDim + h * hs + i] *= s;
        }
    }

    private static void columnMax(float[] w, int rows, int cols, float[] acc) {
        for (int r = 0; r < rows; r++) for (int j = 0; j < cols; j++) acc[j] = Math.max(acc[j], Math.abs(w[r * cols + j]));
    }
}
