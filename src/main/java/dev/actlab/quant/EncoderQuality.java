package dev.actlab.quant;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How close quantized sentence embeddings stay to the float ones: the cosine of each pair (both
 * L2-normalised), their mean and minimum, and nearest-neighbour agreement (for each text, is its
 * most similar other text the same under both?).
 */
public record EncoderQuality(double meanCosine, double minCosine, double neighbourAgreement, int texts) {

    public static EncoderQuality of(float[][] reference, float[][] quantized) {
        int n = reference.length;
        if (n == 0 || quantized.length != n) throw new IllegalArgumentException(n + " reference and " + quantized.length + " quantized embeddings");
        double sum = 0, min = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double c = cosine(reference[i], quantized[i]);
            sum += c;
            min = Math.min(min, c);
        }
        int agree = 0;
        for (int i = 0; i < n; i++) if (nearest(reference, i) == nearest(quantized, i)) agree++;
        return new EncoderQuality(sum / n, min, n > 1 ? (double) agree / n : 1, n);
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) { dot += (double) a[i] * b[i]; na += (double) a[i] * a[i]; nb += (double) b[i] * b[i]; }
        return dot / Math.sqrt(na * nb);
    }

    private static int nearest(float[][] e, int i) {
        int best = -1;
        double bestCos = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < e.length; j++) {
            if (j == i) continue;
            double c = cosine(e[i], e[j]);
            if (c > bestCos) { bestCos = c; best = j; }
        }
        return best;
    }

    public Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mean_cosine", Math.round(meanCosine * 1e6) / 1e6); m.put("min_cosine", Math.round(minCosine * 1e6) / 1e6);
        m.put("nearest_neighbour_agreement", Math.round(neighbourAgreement * 1e4) / 1e4); m.put("texts", texts);
        return m;
    }
}
