package dev.actlab.model.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Picks the next token from logits: greedy at temperature 0, else temperature + nucleus (top-p) sampling. */
public final class Sampler {
    private final float temperature, topP;
    private final SplittableRandom random;

    public Sampler(float temperature, float topP, long seed) {
        if (temperature < 0 || Float.isNaN(temperature)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        this.temperature = temperature; this.topP = topP; this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() { return new Sampler(0, 1, 0); }

    public int next(float[] logits) {
        if (temperature == 0) return argmax(logits);
        int n = logits.length;
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) { p[i] = Math.exp((logits[i] - max) / temperature); sum += p[i]; }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]) != 0 ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        double mass = 0;
        int keep = 0;
        while (keep < n && (keep == 0 || mass < topP * sum)) mass += p[order[keep++]];
        double r = random.nextDouble() * mass;
        for (int i = 0; i < keep; i++) { r -= p[order[i]]; if (r <= 0) return order[i]; }
        return order[keep - 1];
    }

    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
