package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.actlab.model.hook.ActivationCache;
import dev.actlab.model.llama.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The plain reference for dynamics.jsonl: each layer's cached resid_post over the probe,
 * summarized directly (two-pass kurtosis in double, medians by sorting, the massive rule per row).
 */
public final class DynamicsReference {
    private DynamicsReference() {}

    /** Per layer: {max_abs, max_sequence, max_position, max_channel, max_token_id, top_channel, top_mean_abs_channel, kurtosis, median_abs, massive_count}. */
    public static List<double[]> compute(LlamaModel m, int[][] seqs, float massiveAbs, float massiveRatio) {
        int L = m.config().layers(), d = m.config().dim(), T = seqs[0].length;
        List<double[]> out = new ArrayList<>();
        float[][][] resid = new float[seqs.length][][];   // [seq][layer][T * d]
        for (int s = 0; s < seqs.length; s++) {
            ActivationCache cache = m.runWithCache(seqs[s], n -> n.endsWith(".hook_resid_post"));
            resid[s] = new float[L][];
            for (int l = 0; l < L; l++) resid[s][l] = cache.get("blocks." + l + ".hook_resid_post").toArray();
        }
        for (int l = 0; l < L; l++) {
            int n = seqs.length * T * d;
            float[] all = new float[n], abs = new float[n];
            for (int s = 0; s < seqs.length; s++) System.arraycopy(resid[s][l], 0, all, s * T * d, T * d);
            float maxAbs = -1;
            int at = -1;
            float[] chMax = new float[d], chSum = new float[d];
            long massive = 0;
            for (int i = 0; i < n; i++) {
                abs[i] = Math.abs(all[i]);
                if (abs[i] > maxAbs) { maxAbs = abs[i]; at = i; }
                chMax[i % d] = Math.max(chMax[i % d], abs[i]);
                chSum[i % d] += abs[i];
            }
            for (int row = 0; row < n / d; row++) {
                float[] r = Arrays.copyOfRange(abs, row * d, (row + 1) * d);
                Arrays.sort(r);
                float median = (r[d / 2 - 1] + r[d / 2]) / 2;   // d is even
                for (int c = 0; c < d; c++) if (abs[row * d + c] > massiveAbs && abs[row * d + c] > massiveRatio * median) massive++;
            }
            int top = 0, topMean = 0;
            for (int c = 1; c < d; c++) { if (chMax[c] > chMax[top]) top = c; if (chSum[c] > chSum[topMean]) topMean = c; }
            double mean = 0;
            for (float x : all) mean += x;
            mean /= n;
            double s2 = 0, s4 = 0;
            for (float x : all) { double e = x - mean; s2 += e * e; s4 += e * e * e * e; }
            float[] sorted = abs.clone();
            Arrays.sort(sorted);
            float median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
            int seq = at / (T * d), pos = at % (T * d) / d, ch = at % d;
            out.add(new double[]{maxAbs, seq, pos, ch, seqs[seq][pos], top, topMean, n * s4 / (s2 * s2) - 3, median, massive});
        }
        return out;
    }

    /** Asserts a dynamics line's layers equal the reference (kurtosis to 1e-9 relative: one pass against two). */
    public static void assertMatches(List<double[]> expected, JsonNode layers) {
        assertEquals(expected.size(), layers.size(), "layers");
        String[] fields = {"max_abs", "max_sequence", "max_position", "max_channel", "max_token_id", "top_channel", "top_mean_abs_channel", "kurtosis", "median_abs", "massive_count"};
        for (int l = 0; l < expected.size(); l++) {
            JsonNode n = layers.get(l);
            assertEquals(l, n.get("layer").asInt());
            for (int f = 0; f < fields.length; f++) {
                double want = expected.get(l)[f], got = n.get(fields[f]).asDouble();
                if (fields[f].equals("kurtosis")) assertEquals(want, got, 1e-9 * Math.max(1, Math.abs(want)), "layer " + l + " kurtosis");
                else if (fields[f].endsWith("abs")) assertEquals((float) want, (float) got, "layer " + l + " " + fields[f]);
                else assertEquals(want, got, "layer " + l + " " + fields[f]);
            }
            assertEquals(n.get("max_channel").asInt(), n.get("top_channel").asInt(), "the top channel by max|x| holds the max");
        }
    }
}
