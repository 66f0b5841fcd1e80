package dev.actlab.prune;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.quant.Calibration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Rank ratios x methods (plain, whitened): every combination compressed from one decomposition per
 * matrix and method, all evaluated against the dense model on the same windows in one pass.
 */
public final class LowRankSweep {
    private LowRankSweep() {}

    public static final List<Double> RATIOS = List.of(0.9, 0.75, 0.5, 0.3);

    /** A sweep's results, in ratio-major order. */
    public record Table(List<Double> ratios, List<Boolean> whiten, List<LowRank.Result> results) {
        public double basePerplexity() { return results.get(0).stats().basePerplexity(); }

        public LowRank.Result cell(int ratio, int method) { return results.get(ratio * whiten.size() + method); }

        public Map<String, Object> toJson() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("base_perplexity", basePerplexity());
            j.put("rank_ratios", ratios);
            j.put("methods", whiten.stream().map(w -> w ? "whitened" : "plain").toList());
            j.put("model_dense_parameters", results.get(0).modelDenseParameters());
            j.put("block_dense_parameters", results.get(0).blockDenseParameters());
            List<Map<String, Object>> rows = new ArrayList<>();
            for (LowRank.Result r : results) rows.add(r.toJson());
            j.put("results", rows);
            return j;
        }

        /** One line per (ratio, method): parameters, perplexity (ratio to dense), mean KLD, same top, mean errors. */
        public String text() {
            StringBuilder b = new StringBuilder();
            LowRank.Result first = results.get(0);
            b.append(String.format(Locale.ROOT, "dense: perplexity %.3f; %,d parameters, %,d of them in the blocks' projections%n%n",
                    basePerplexity(), first.modelDenseParameters(), first.blockDenseParameters()));
            b.append(String.format(Locale.ROOT, "%6s  %-9s %13s %13s %18s %10s %9s %10s %10s%n",
                    "ratio", "method", "block params", "model params", "perplexity", "mean KLD", "same top", "rel err", "act err"));
            for (LowRank.Result r : results) {
                var s = r.stats();
                b.append(String.format(Locale.ROOT, "%6.2f  %-9s %,13d %,13d %18s %10.5f %8.1f%% %10.4f %10.4f%n",
                        r.setting().ratio(), r.setting().method(), r.blockParameters(), r.modelParameters(),
                        fmt(s.perplexity()) + String.format(Locale.ROOT, " (%.3fx)", s.perplexity() / s.basePerplexity()),
                        s.meanKld(), 100 * s.sameTop(), meanRelative(r), meanActivation(r)));
            }
            b.append("rel err, act err: mean over matrices of |W - W-hat|_F / |W|_F and of |(W - W-hat) X|_F / |W X|_F on the calibration inputs\n");
            return b.toString();
        }

        static String fmt(double ppl) { return ppl >= 1e4 ? String.format(Locale.ROOT, "%.3g", ppl) : String.format(Locale.ROOT, "%.2f", ppl); }
    }

    public static double meanRelative(LowRank.Result r) { return r.matrices().stream().mapToDouble(LowRank.MatrixResult::relativeError).average().orElse(0); }

    public static double meanActivation(LowRank.Result r) { return r.matrices().stream().mapToDouble(LowRank.MatrixResult::activationError).average().orElse(0); }

    public static Table run(LlamaModel base, List<Double> ratios, List<Boolean> whiten, Calibration calib, int[][] windows, double damp,
                            Function<String, Progress> progress) {
        if (ratios.isEmpty() || whiten.isEmpty()) throw new IllegalArgumentException("a low-rank sweep needs at least one ratio and one method");
        List<LowRank.Setting> settings = new ArrayList<>();
        for (double r : ratios) for (boolean w : whiten) settings.add(new LowRank.Setting(r, w));
        return new Table(List.copyOf(ratios), List.copyOf(whiten), LowRank.run(base, settings, calib, windows, damp, progress));
    }
}
