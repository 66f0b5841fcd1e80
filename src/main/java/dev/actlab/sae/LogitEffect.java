package dev.actlab.sae;

import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;

/**
 * A decoder feature's direct effect on the logits: its decoder row through the unembedding,
 * W_dec[f] . W_U (no final norm, as the SAELens dashboards show it), and the tokens it promotes and
 * suppresses most. promoted/suppressed: token ids, largest effect first; values beside them.
 */
public record LogitEffect(int[] promoted, float[] promotedValues, int[] suppressed, float[] suppressedValues) {

    /** unembedding: [vocab, d_in] (the output matrix; the token embedding when tied). */
    public static LogitEffect of(Sae sae, int feature, WeightMatrix unembedding, int k, Parallel par) {
        int d = sae.dIn();
        if (unembedding.cols() != d) throw new IllegalArgumentException("the unembedding reads " + unembedding.cols() + " wide rows, the SAE's d_in is " + d);
        float[] row = java.util.Arrays.copyOfRange(sae.wDec, feature * d, (feature + 1) * d);
        float[] logits = new float[unembedding.rows()];   // [vocab]
        unembedding.matmul(row, 1, logits, par);
        int[] up = top(logits, k, 1), down = top(logits, k, -1);
        return new LogitEffect(up, values(logits, up), down, values(logits, down));
    }

    /** The k ids with the largest sign * logit, largest first (ties: lower id first). */
    static int[] top(float[] logits, int k, int sign) {
        k = Math.min(k, logits.length);
        int[] out = new int[k];
        int m = 0;
        for (int t = 0; t < logits.length; t++) {
            float v = sign * logits[t];
            if (m == k && !(v > sign * logits[out[k - 1]])) continue;
            int p = m == k ? k - 1 : m++;
            while (p > 0 && v > sign * logits[out[p - 1]]) { out[p] = out[p - 1]; p--; }
            out[p] = t;
        }
        return out;
    }

    private static float[] values(float[] logits, int[] ids) {
        float[] v = new float[ids.length];
        for (int i = 0; i < ids.length; i++) v[i] = logits[ids[i]];
        return v;
    }
}
