package dev.actlab.inspect;

import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.Hook;
import dev.actlab.model.hook.HookSite;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-token quantities report.html colours the input text by, from the residual stream
 * (blocks.L.hook_resid_post) of the first {@value #MAX_TOKENS} positions of the first chunk: the
 * max |x| over channels at the layer where it peaks (non-negative), and the signed value of one
 * channel, the largest massive activation's (or the largest |x| of that layer's) at every position.
 */
public final class TokenActivations implements Hook {
    /** Tokens shown: the rows are kept whole, so this bounds memory (layers x tokens x d_model floats). */
    public static final int MAX_TOKENS = 256;

    /** The text as shown and one row of values per strip. */
    public record View(int shownTokens, int totalTokens, List<String> tokens, List<Strip> strips) {}

    /** One quantity per shown token; signed picks a diverging colour scale. */
    public record Strip(String quantity, String unit, boolean signed, int layer, int channel, double[] values) {}

    private final float[][][] rows;   // [layer][position][channel], filled by apply
    private int positions;

    public TokenActivations(int layers) { this.rows = new float[layers][][]; }

    public static boolean listensTo(String site) { return site.endsWith("." + MassiveActivations.SITE_SUFFIX) && HookSite.layerOf(site) >= 0; }

    @Override public void apply(Activation a) {
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

    /** The view for tokens (display text of every input token); massive: the largest massive activation, or null. */
    public View view(List<String> tokens, MassiveActivations.Finding massive) {
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
        return new View(n, tokens.size(), List.copyOf(tokens.subList(0, n)), strips);
    }
}
