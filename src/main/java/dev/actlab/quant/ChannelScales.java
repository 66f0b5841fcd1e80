package dev.actlab.quant;

import dev.actlab.model.llama.LlamaConfig;
import java.util.List;

/**
 * Per-input-channel scales folded exactly into a block's weights: the projections reading an input
 * get W -> W diag(s), and whatever produced the input divides by s, so the float model computes the
 * same function (SmoothQuant's and AWQ's rewrite). The four inputs of a Llama block:
 * <ul>
 * <li>{@link Site#ATTN_IN} (q, k, v): the attention norm's weight divides;
 * <li>{@link Site#MLP_IN} (gate, up): the MLP norm's weight divides;
 * <li>{@link Site#DOWN_IN} (down): the rows of up divide (mlp.hook_post = silu(gate) * up is linear in up);
 * <li>{@link Site#O_IN} (o): the rows of v (and its bias) divide (hook_z mixes values linearly); with
 *     grouped-query attention each value channel feeds one channel of every head in its group, so
 *     scales come per value channel ([kv_dim]) and are repeated over those heads.
 * </ul>
 * An input rotated online cannot be scaled this way (the rotation sits between the two sides).
 */
public final class ChannelScales {
    private ChannelScales() {}

    public enum Site {
        ATTN_IN(List.of(Linear.Q, Linear.K, Linear.V)),
        MLP_IN(List.of(Linear.GATE, Linear.UP)),
        DOWN_IN(List.of(Linear.DOWN)),
        O_IN(List.of(Linear.O));

        /** The projections reading this input. */
        public final List<Linear> readers;

        Site(List<Linear> readers) { this.readers = readers; }

        /** Length of a scale vector: the input width, or kv_dim for o. */
        public int scales(LlamaConfig c) { return this == O_IN ? c.kvDim() : readers.get(0).cols(c); }
    }

    /** Throws when the site's input is rotated online (no exact fold exists). */
    public static void requireFoldable(QuantModel m, int layer, Site site, String step) {
        if ((site == Site.DOWN_IN || site == Site.O_IN) && m.input(layer, site.readers.get(0)).rotation() != null)
            throw new IllegalArgumentException(step + ": " + site.readers.get(0).nameAt(layer) + "'s input is rotated online; its scales cannot be folded into the previous projection");
    }

    /** The readers' columns times s, the producer divided by s (s of length {@link Site#scales}). */
    public static void fold(QuantModel m, int layer, Site site, float[] s) {
        LlamaConfig c = m.config();
        if (s.length != site.scales(c)) throw new IllegalArgumentException(site + ": " + s.length + " scales, needs " + site.scales(c));
        requireFoldable(m, layer, site, "channel scales");
        switch (site) {
            case ATTN_IN, MLP_IN -> {
                for (Linear lin : site.readers) scaleColumns(m.weight(layer, lin), lin.rows(c), s);
                float[] norm = site == Site.ATTN_IN ? m.attnNorm(layer) : m.ffnNorm(layer);
                for (int j = 0; j < s.length; j++) norm[j] /= s[j];
            }
            case DOWN_IN -> {
                scaleColumns(m.weight(layer, Linear.DOWN), Linear.DOWN.rows(c), s);
                float[] up = m.weight(layer, Linear.UP);
                int dim = c.dim();
                for (int j = 0; j < s.length; j++) for (int i = 0; i < dim; i++) up[j * dim + i] /= s[j];
            }
            case O_IN -> {
                scaleColumns(m.weight(layer, Linear.O), c.dim(), expandPerHead(c, s));
                float[] wv = m.weight(layer, Linear.V), vb = m.vBias(layer);
                int dim = c.dim();
                for (int kv = 0; kv < s.length; kv++) {
                    for (int j = 0; j < dim; j++) wv[kv * dim + j] /= s[kv];
                    if (vb != null) vb[kv] /= s[kv];
                }
            }
        }
    }

    /** A per-value-channel vector [kv_dim] repeated for every head of its group: [q_dim]. */
    public static float[] expandPerHead(LlamaConfig c, float[] perKv) {
        int hs = c.headSize(), group = c.heads() / c.kvHeads();
        float[] out = new float[c.qDim()];
        for (int h = 0; h < c.heads(); h++) for (int i = 0; i < hs; i++) out[h * hs + i] = perKv[(h / group) * hs + i];
        return out;
    }

    /** A per-head-channel statistic [q_dim] reduced to value channels [kv_dim] by max (max = true) or mean over the heads of a group. */
    public static float[] reducePerKv(LlamaConfig c, float[] perQ, boolean max) {
        int hs = c.headSize(), group = c.heads() / c.kvHeads();
        float[] out = new float[c.kvDim()];
        for (int kv = 0; kv < out.length; kv++) {
            int kvh = kv / hs, i = kv % hs;
            float acc = 0;
            for (int h = kvh * group; h < (kvh + 1) * group; h++) acc = max ? Math.max(acc, perQ[h * hs + i]) : acc + perQ[h * hs + i] / group;
            out[kv] = acc;
        }
        return out;
    }

    /** The largest |W[:, j]| over the readers of a site, per input channel (per value channel for o). */
    public static float[] weightColumnMax(QuantModel m, int layer, Site site) {
        LlamaConfig c = m.config();
        int cols = site.readers.get(0).cols(c);
        float[] acc = new float[cols];
        for (Linear lin : site.readers) {
            float[] w = m.weight(layer, lin);
            int rows = lin.rows(c);
            for (int r = 0; r < rows; r++) for (int j = 0; j < cols; j++) acc[j] = Math.max(acc[j], Math.abs(w[r * cols + j]));
        }
        return site == Site.O_IN ? reducePerKv(c, acc, true) : acc;
    }

    /** w[:, j] *= s[j] for a row-major [rows, s.length] matrix. */
    public static void scaleColumns(float[] w, int rows, float[] s) {
        int cols = s.length;
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) w[i * cols + j] *= s[j];
    }
}
