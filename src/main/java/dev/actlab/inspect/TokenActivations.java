package dev.actlab.inspect;

import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hook;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.HookedDecoder;
import dev.actlab.model.eval.TokenStats;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-token quantities report.html colours the input text by, from the residual stream
 * (blocks.L.hook_resid_post) of the first {@value #MAX_TOKENS} positions of the first chunk: the
 * max |x| over channels at the layer where it peaks (non-negative), and the signed value of one
 * channel, the largest massive activation's (or the largest |x| of that layer's) at every position;
 * the last layer's attention from one query position (by default the last shown) to every token (mean over
 * heads; keys after the query are NaN: it cannot attend to them); for
 * decoders also each token's loss (the model's surprise at it).
 */
public final class TokenActivations implements Hook {
    /** Tokens shown: the rows are kept whole, so this bounds memory (layers x tokens x d_model floats). */
    public static final int MAX_TOKENS = 256;

    /** The text as shown and one row of values per strip. */
    public record View(int shownTokens, int totalTokens, List<String> tokens, List<Strip> strips) {}

    /** One quantity per shown token; signed picks a diverging colour scale. */
    public record Strip(String quantity, String unit, boolean signed, int layer, int channel, double[] values) {}

    private final float[][][] rows;   // [layer][position][channel], filled by apply
    private final double[][] attention;   // [layer][key]: mean over heads of the attention from the query position
    private final int attentionFrom;      // -1: the last shown position
    private int positions;

    public TokenActivations(int layers) { this(layers, -1); }

    /** attentionFrom: the query position of the attention strip, -1 for the last shown one. */
    public TokenActivations(int layers, int attentionFrom) {
        this.rows = new float[layers][][];
        this.attention = new double[layers][];
        this.attentionFrom = attentionFrom;
    }

    public static boolean listensTo(String site) {
        return (site.endsWith("." + MassiveActivations.SITE_SUFFIX) || site.endsWith(".attn.hook_pattern")) && HookSite.layerOf(site) >= 0;
    }

    @Override public void apply(Activation a) {
        if (a.name.endsWith("hook_pattern")) { attentionFromQuery(a); return; }
        int layer = HookSite.layerOf(a.name), n = Math.min(a.shape[0], MAX_TOKENS - a.startPos), d = a.shape[1];
        if (n <= 0 || a.batchIndex > 0) return;
        if (rows[layer] == null) rows[layer] = new float[MAX_TOKENS][];
        for (int p = 0; p < n; p++) {
            float[] row = new float[d];
            System.arraycopy(a.data, a.offset + p * d, row, 0, d);
            rows[layer][a.startPos + p] = row;
        }
        positions = Math.max(positions, a.startPos + n);
    }

    /** pattern [heads, q, k] of a whole sequence (startPos 0): row = the query position, averaged over heads. */
    private void attentionFromQuery(Activation a) {
        if (a.batchIndex > 0 || a.startPos != 0 || a.shape.length != 3) return;
        int heads = a.shape[0], q = a.shape[1], k = a.shape[2], from = attentionFrom >= 0 ? attentionFrom : Math.min(q, MAX_TOKENS) - 1;
        if (from >= Math.min(q, MAX_TOKENS)) return;
        double[] row = new double[from + 1];
        for (int h = 0; h < heads; h++)
            for (int j = 0; j <= from && j < k; j++) row[j] += a.get(h, from, j) / heads;
        attention[HookSite.layerOf(a.name)] = row;
    }

    /**
     * The view for tokens (display text of every input token); massive: the largest massive activation, or
     * null; decoder (null for encoders) adds each token's next-token loss through its final norm and unembedding.
     */
    public View view(List<String> tokens, int[] ids, MassiveActivations.Finding massive, HookedDecoder decoder) {
        int n = Math.min(positions, tokens.size());
        List<Strip> strips = new ArrayList<>();
        int peakLayer = -1;
        double peak = -1;
        double[][] maxAbs = new double[rows.length][];
        for (int l = 0; l < rows.length; l++) {
            if (rows[l] == null) continue;
            maxAbs[l] = new double[n];
            for (int p = 0; p < n; p++) {
                float[] row = rows[l][p];
                double m = 0;
                for (float v : row) m = Math.max(m, Math.abs(v));
                maxAbs[l][p] = m;
                if (m > peak) { peak = m; peakLayer = l; }
            }
        }
        if (peakLayer < 0 || n == 0) return new View(0, tokens.size(), List.of(), List.of());
        strips.add(new Strip("max |x| over channels of blocks." + peakLayer + ".hook_resid_post (the layer where it peaks)", "max |x|", false, peakLayer, -1, maxAbs[peakLayer]));
        int layer = peakLayer, channel = -1;
        if (massive != null && massive.layer() < rows.length && rows[massive.layer()] != null) { layer = massive.layer(); channel = massive.channel(); }
        else {
            double best = -1;
            for (int p = 0; p < n; p++)
                for (int c = 0; c < rows[layer][p].length; c++)
                    if (Math.abs(rows[layer][p][c]) > best) { best = Math.abs(rows[layer][p][c]); channel = c; }
        }
        double[] v = new double[n];
        for (int p = 0; p < n; p++) v[p] = rows[layer][p][channel];
        strips.add(new Strip("channel " + channel + " of blocks." + layer + ".hook_resid_post" + (massive != null ? " (the largest massive activation's)" : " (its largest |x|)"),
                "activation", true, layer, channel, v));
        int last = rows.length - 1;
        if (attention[last] != null && attention[last].length <= n && (attentionFrom >= 0 || attention[last].length == n)) {
            int from = attention[last].length - 1;
            double[] row = java.util.Arrays.copyOf(attention[last], n);
            java.util.Arrays.fill(row, from + 1, n, Double.NaN);   // keys after the query: not attended
            strips.add(new Strip("attention from position " + from + " (" + tokens.get(from).replace("\n", "\\n") + "), mean over the heads of blocks." + last + ".attn.hook_pattern",
                    "attention", false, last, -1, row));
        }
        if (decoder != null && rows[last] != null && n > 1) strips.add(surprisal(decoder, ids, n, last, rows[last]));
        return new View(n, tokens.size(), List.copyOf(tokens.subList(0, n)), strips);
    }

    /**
     * Each token's loss as the model predicted it: -ln p(ids[p]) from the last layer's residual stream at
     * p - 1 through the final norm and unembedding; NaN for the first token, which nothing predicts.
     */
    private static Strip surprisal(HookedDecoder decoder, int[] ids, int n, int layer, float[][] lastLayer) {
        int d = lastLayer[0].length, V = decoder.vocabSize(), m = n - 1;   // predictions from positions 0 .. n - 2
        float[] resid = new float[m * d];
        for (int p = 0; p < m; p++) System.arraycopy(lastLayer[p], 0, resid, p * d, d);
        float[] logits = decoder.unembed(resid, m);
        double[] loss = new double[n];
        java.util.Arrays.fill(loss, Double.NaN);
        for (int p = 0; p < m; p++) loss[p + 1] = -TokenStats.logSoftmax(logits, p * V, V)[ids[p + 1]];
        return new Strip("each token's loss, \u2212ln p(token | the tokens before it)", "loss (nats)", false, layer, -1, loss);
    }
}
