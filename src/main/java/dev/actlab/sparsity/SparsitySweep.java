package dev.actlab.sparsity;

import dev.actlab.io.Progress;
import dev.actlab.model.eval.PairedPerplexity;
import dev.actlab.model.eval.QuantizationStats;
import dev.actlab.model.llama.LlamaModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Methods x sparsity levels: each method is calibrated once (its {@link SiteDistributions}), thresholds
 * are cut for every level, and then (quality) every sparse model is scored against the dense model on
 * the same windows in one pass ({@link PairedPerplexity}: perplexity and KL divergence, with the
 * measured sparsity on that text), and (speed) every sparse model decodes against the dense one,
 * alternating rounds ({@link SparseDecodeBench}), with its input-major copies built just for its turn.
 */
public final class SparsitySweep {
    private SparsitySweep() {}

    /** One quality cell: the statistics against dense and the sparsity measured on the evaluation windows. */
    public record Quality(QuantizationStats stats, double meanSiteSparsity, double weightSparsity) {}

    /** quality[method][level] and speed[method][level]; either may be null (not measured). */
    public record Table(List<String> methods, double[] levels, String allocation, Quality[][] quality, SparseDecodeBench.Result[][] speed) {
        public Map<String, Object> toJson() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("methods", methods);
            j.put("levels", levels);
            j.put("allocation", allocation);
            if (quality != null) j.put("dense_perplexity", quality[0][0].stats.basePerplexity());
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int i = 0; i < methods.size(); i++)
                for (int k = 0; k < levels.length; k++) {
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("method", methods.get(i));
                    r.put("target_sparsity", levels[k]);
                    if (quality != null) {
                        r.put("measured_mean_site_sparsity", quality[i][k].meanSiteSparsity);
                        r.put("measured_weight_sparsity", quality[i][k].weightSparsity);
                        r.putAll(quality[i][k].stats.toJson());
                    }
                    if (speed != null) r.put("decode", speed[i][k].toJson());
                    rows.add(r);
                }
            j.put("results", rows);
            return j;
        }

        /** Text tables: perplexity (ratio to dense), mean KLD, measured weight sparsity; decode speedup (median) and its traffic limit. */
        public String text() {
            StringBuilder b = new StringBuilder();
            if (quality != null) {
                b.append(String.format(Locale.ROOT, "perplexity (ratio to dense %.3f)%n", quality[0][0].stats.basePerplexity()));
                grid(b, (i, k) -> String.format(Locale.ROOT, "%.2f (%.3fx)", quality[i][k].stats.perplexity(), quality[i][k].stats.perplexity() / quality[i][k].stats.basePerplexity()));
                b.append(String.format(Locale.ROOT, "%nmean KLD vs dense (nats/token)%n"));
                grid(b, (i, k) -> String.format(Locale.ROOT, "%.5f", quality[i][k].stats.meanKld()));
                b.append(String.format(Locale.ROOT, "%nmeasured sparsity on the evaluation text: block inputs (mean over sites) / block weights%n"));
                grid(b, (i, k) -> String.format(Locale.ROOT, "%.3f / %.3f", quality[i][k].meanSiteSparsity, quality[i][k].weightSparsity));
            }
            if (speed != null) {
                if (quality != null) b.append('\n');
                b.append(String.format(Locale.ROOT, "decode speedup over dense, median of alternating rounds (best; memory-traffic limit)%n"));
                grid(b, (i, k) -> String.format(Locale.ROOT, "%.2fx (%.2f; %.2f)", speed[i][k].speedupMedian(), speed[i][k].speedupBest(), speed[i][k].trafficLimit()));
                b.append(String.format(Locale.ROOT, "%ndense / sparse decode tokens/s (median)%n"));
                grid(b, (i, k) -> String.format(Locale.ROOT, "%.1f / %.1f", speed[i][k].medianDense(), speed[i][k].medianSparse()));
            }
            return b.toString();
        }

        private interface Cell { String at(int method, int level); }

        private void grid(StringBuilder b, Cell c) {
            b.append(String.format(Locale.ROOT, "%-8s", "method"));
            for (double l : levels) b.append(String.format(Locale.ROOT, "%20s", String.format(Locale.ROOT, "%.2f", l)));
            b.append('\n');
            for (int i = 0; i < methods.size(); i++) {
                b.append(String.format(Locale.ROOT, "%-8s", methods.get(i)));
                for (int k = 0; k < levels.length; k++) b.append(String.format(Locale.ROOT, "%20s", c.at(i, k)));
                b.append('\n');
            }
        }
    }

    /** Thresholds for every method and level: [method][level]. */
    public static Thresholds[][] calibrate(LlamaModel m, List<String> methods, double[] levels, String allocation, CalibrationText calib, Function<String, Progress> progress) {
        for (double l : levels) if (!(l >= 0 && l < 1)) throw new IllegalArgumentException("sparsity level " + l + " must be in [0, 1)");
        Thresholds[][] th = new Thresholds[methods.size()][levels.length];
        for (int i = 0; i < methods.size(); i++) {
            SiteDistributions d = SiteDistributions.collect(methods.get(i), m, calib, progress.apply("calibrate " + methods.get(i)));
            for (int k = 0; k < levels.length; k++)
                th[i][k] = allocation.equals("greedy") ? GreedyAllocation.allocate(m, d, calib.tokens(), levels[k], Progress.NONE) : d.uniform(levels[k]);
        }
        return th;
    }

    /** Perplexity and KLD of every thresholds set against the dense model, on the same windows in one pass. */
    public static Quality[][] quality(LlamaModel m, Thresholds[][] th, int[][] windows, Progress progress) {
        List<SparseModel> models = new ArrayList<>();
        for (Thresholds[] row : th) for (Thresholds t : row) models.add(SparseModel.of(m, t, false));
        List<QuantizationStats> stats = PairedPerplexity.run(m, models.stream().map(SparseModel::model).toList(), windows, progress);
        Quality[][] q = new Quality[th.length][];
        for (int i = 0, n = 0; i < th.length; i++) {
            q[i] = new Quality[th[i].length];
            for (int k = 0; k < th[i].length; k++, n++) q[i][k] = new Quality(stats.get(n), models.get(n).meanMeasured(), models.get(n).weightSparsity());
        }
        return q;
    }

    /** Decode speed of every thresholds set against dense, alternating rounds, one sparse model (with its copies) at a time. */
    public static SparseDecodeBench.Result[][] speed(LlamaModel m, Thresholds[][] th, int promptTokens, int genTokens, int rounds, Progress progress) {
        SparseDecodeBench.Result[][] r = new SparseDecodeBench.Result[th.length][];
        int done = 0, total = th.length * th[0].length;
        for (int i = 0; i < th.length; i++) {
            r[i] = new SparseDecodeBench.Result[th[i].length];
            for (int k = 0; k < th[i].length; k++) {
                r[i][k] = SparseDecodeBench.run(m, SparseModel.of(m, th[i][k], true), promptTokens, genTokens, rounds, 1);
                progress.update(++done, total);
            }
        }
        return r;
    }

    public static Table run(LlamaModel m, List<String> methods, double[] levels, String allocation, CalibrationText calib, int[][] windows,
                            boolean speed, int promptTokens, int genTokens, int rounds, Function<String, Progress> progress) {
        Thresholds[][] th = calibrate(m, methods, levels, allocation, calib, progress);
        Quality[][] q = windows == null ? null : quality(m, th, windows, progress.apply("quality"));
        SparseDecodeBench.Result[][] s = speed ? speed(m, th, promptTokens, genTokens, rounds, progress.apply("decode")) : null;
        return new Table(List.copyOf(methods), levels.clone(), allocation, q, s);
    }
}
