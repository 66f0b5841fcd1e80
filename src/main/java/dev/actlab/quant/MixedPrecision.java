package dev.actlab.quant;

import dev.actlab.io.Progress;
import dev.actlab.model.eval.PairedPerplexity;
import dev.actlab.model.eval.QuantizationStats;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Mixed-precision weights under an average-bits budget. Sensitivity of layer l at b bits: the mean
 * KL divergence from the model as it stands, on calibration windows, when only layer l's seven
 * projections are rounded to b-bit integers (HAWQ-V2 measures the same trade-off with Hessian traces;
 * here it is measured directly). Allocation: the bits per layer that minimize the summed
 * sensitivities subject to the parameter-weighted average bits <= budget, solved exactly by dynamic
 * programming over layers (the additive proxy's Pareto-optimal point at that budget). Then every
 * layer is rounded to nearest at its allocation.
 */
public record MixedPrecision(double budget, int[] candidates, Granularity granularity, int windows) implements QuantStep {
    public MixedPrecision {
        if (candidates.length == 0) throw new IllegalArgumentException("mixed precision needs at least one bit width");
        candidates = candidates.clone();
        Arrays.sort(candidates);
        if (budget < candidates[0]) throw new IllegalArgumentException("budget " + budget + " bits is below the smallest width " + candidates[0]);
        if (windows < 1) throw new IllegalArgumentException("mixed precision needs at least one calibration window");
    }

    @Override public boolean calibrates() { return true; }

    @Override public String describe() {
        return "mixed(budget=" + budget + ", bits=" + Arrays.toString(candidates).replace(" ", "") + ", g=" + granularity + ")";
    }

    Quantizer quantizer(int bits) { return new Quantizer(NumberFormat.integer(bits, false), granularity); }

    @Override public void apply(QuantModel m, Calibration calib, Progress progress) {
        if (calib == null) throw new IllegalArgumentException("mixed precision needs calibration text");
        LlamaConfig c = m.config();
        int L = m.layers();
        double[][] sens = sensitivity(m, calib, progress);
        long[] params = new long[L];
        for (int l = 0; l < L; l++) for (Linear lin : Linear.values()) params[l] += (long) lin.rows(c) * lin.cols(c);
        int[] bits = allocate(sens, candidates, params, budget);
        for (int l = 0; l < L; l++) {
            Quantizer q = quantizer(bits[l]);
            for (Linear lin : Linear.values()) {
                float[] w = m.weight(l, lin).clone();
                q.apply(w, 0, lin.rows(c), lin.cols(c));
                m.setQuantizedWeight(l, lin, w, q);
            }
        }
        m.log(describe() + " -> bits per layer " + Arrays.toString(bits));
    }

    /** sens[l][k]: mean KLD from the current model with only layer l rounded to candidates[k] bits. */
    double[][] sensitivity(QuantModel m, Calibration calib, Progress progress) {
        LlamaConfig c = m.config();
        int L = m.layers();
        List<LlamaModel> variants = new ArrayList<>();
        for (int l = 0; l < L; l++)
            for (int b : candidates) {
                QuantModel v = m.copy();
                Quantizer q = quantizer(b);
                for (Linear lin : Linear.values()) {
                    float[] w = v.weight(l, lin).clone();
                    q.apply(w, 0, lin.rows(c), lin.cols(c));
                    v.setQuantizedWeight(l, lin, w, q);
                }
                variants.add(v.build());
            }
        int n = Math.min(windows, calib.windows());
        int[][] w = new int[n][];
        for (int i = 0; i < n; i++) w[i] = calib.window((int) ((long) i * calib.windows() / n));
        List<QuantizationStats> s = PairedPerplexity.run(m.build(), variants, w, progress);
        double[][] sens = new double[L][candidates.length];
        for (int l = 0; l < L; l++) for (int k = 0; k < candidates.length; k++) sens[l][k] = s.get(l * candidates.length + k).meanKld();
        return sens;
    }

    /**
     * The allocation (bits per unit) minimizing sum sens[l][k] subject to sum params[l] * bits[l] <=
     * budget * sum params: exact dynamic programming over units on costs params[l] * bits, in units of
     * their greatest common divisor.
     */
    static int[] allocate(double[][] sens, int[] candidates, long[] params, double budget) {
        int L = sens.length;
        long g = 0;
        for (long p : params) g = gcd(g, p);
        long total = 0;
        for (long p : params) total += p;
        long cap = (long) Math.floor(budget * total / g + 1e-9);
        long minCost = 0;
        for (long p : params) minCost += p / g * candidates[0];
        if (minCost > cap) throw new IllegalArgumentException("budget " + budget + " bits per weight cannot be met even at " + candidates[0] + " bits everywhere");
        if (cap > 50_000_000L) throw new IllegalArgumentException("mixed precision: " + cap + " cost steps are too many for the exact allocation");
        int C = (int) cap;
        double[] best = new double[C + 1];
        Arrays.fill(best, Double.POSITIVE_INFINITY);
        best[0] = 0;
        int[][] choice = new int[L][C + 1];
        for (int l = 0; l < L; l++) {
            double[] next = new double[C + 1];
            Arrays.fill(next, Double.POSITIVE_INFINITY);
            for (int used = 0; used <= C; used++) {
                if (best[used] == Double.POSITIVE_INFINITY) continue;
                for (int k = 0; k < candidates.length; k++) {
                    long cost = params[l] / g * candidates[k];
                    if (used + cost > C) continue;
                    int u = (int) (used + cost);
                    double v = best[used] + sens[l][k];
                    if (v < next[u]) { next[u] = v; choice[l][u] = k; }
                }
            }
            best = next;
            // remember where each state came from through choice and the cost it implies
        }
        int end = 0;
        for (int u = 0; u <= C; u++) if (best[u] < best[end]) end = u;
        int[] bits = new int[L];
        int u = end;
        for (int l = L - 1; l >= 0; l--) {
            int k = choice[l][u];
            bits[l] = candidates[k];
            u -= (int) (params[l] / g * candidates[k]);
        }
        return bits;
    }

    private static long gcd(long a, long b) { return b == 0 ? a : gcd(b, a % b); }
}
