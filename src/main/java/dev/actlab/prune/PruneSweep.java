package dev.actlab.prune;

import dev.actlab.io.Progress;
import dev.actlab.model.eval.PairedPerplexity;
import dev.actlab.model.eval.QuantizationStats;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.quant.Calibration;
import dev.actlab.quant.QuantModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Methods x sparsity patterns: every method prunes a copy of the decoder at every pattern (unstructured
 * levels, then N:M), and all of them are evaluated against the dense model on the same windows in one
 * pass (the dense model runs once per window).
 */
public final class PruneSweep {
    private PruneSweep() {}

    /** One cell: the measured sparsity of the pruned matrices and the evaluation. */
    public record Cell(double sparsity, QuantizationStats stats, double seconds) {}

    /** A sweep's results: cells[method][pattern]. */
    public record Table(List<PruningMethod> methods, List<PruningPattern> patterns, Cell[][] cells) {
        public double basePerplexity() { return cells[0][0].stats().basePerplexity(); }

        public List<String> patternLabels() {
            List<String> l = new ArrayList<>();
            for (PruningPattern p : patterns) l.add(p.isNm() ? p.n() + ":" + p.m() : String.format(Locale.ROOT, "%.0f%%", 100 * p.sparsity()));
            return l;
        }

        public Map<String, Object> toJson() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("base_perplexity", basePerplexity());
            j.put("methods", methods.stream().map(PruningMethod::label).toList());
            j.put("patterns", patternLabels());
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int i = 0; i < methods.size(); i++)
                for (int k = 0; k < patterns.size(); k++) {
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("method", methods.get(i).label());
                    r.put("pattern", patternLabels().get(k));
                    r.put("target_sparsity", patterns.get(k).sparsity());
                    r.put("measured_sparsity", cells[i][k].sparsity());
                    r.put("prune_seconds", cells[i][k].seconds());
                    r.putAll(cells[i][k].stats().toJson());
                    rows.add(r);
                }
            j.put("results", rows);
            return j;
        }

        /** Two text tables: perplexity (with its ratio to dense) and mean KLD. */
        public String text() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "%-12s(dense %.3f)%n", "perplexity", basePerplexity()));
            header(b);
            for (int i = 0; i < methods.size(); i++) {
                b.append(String.format(Locale.ROOT, "%-12s", methods.get(i).label()));
                for (Cell c : cells[i])
                    b.append(String.format(Locale.ROOT, "%18s", fmt(c.stats().perplexity()) + String.format(Locale.ROOT, " (%.2fx)", c.stats().perplexity() / c.stats().basePerplexity())));
                b.append('\n');
            }
            b.append(String.format(Locale.ROOT, "%nmean KLD vs dense (nats/token)%n"));
            header(b);
            for (int i = 0; i < methods.size(); i++) {
                b.append(String.format(Locale.ROOT, "%-12s", methods.get(i).label()));
                for (Cell c : cells[i]) b.append(String.format(Locale.ROOT, "%18.4f", c.stats().meanKld()));
                b.append('\n');
            }
            return b.toString();
        }

        private void header(StringBuilder b) {
            b.append(String.format(Locale.ROOT, "%-12s", "method"));
            for (String s : patternLabels()) b.append(String.format(Locale.ROOT, "%18s", s));
            b.append('\n');
        }

        private static String fmt(double ppl) { return ppl >= 1e4 ? String.format(Locale.ROOT, "%.3g", ppl) : String.format(Locale.ROOT, "%.2f", ppl); }
    }

    public static Table run(LlamaModel base, List<PruningMethod> methods, List<PruningPattern> patterns, Calibration calib, int[][] windows,
                            Function<String, Progress> progress) {
        if (methods.isEmpty() || patterns.isEmpty()) throw new IllegalArgumentException("a sweep needs at least one method and one sparsity");
        List<LlamaModel> models = new ArrayList<>();
        List<double[]> measured = new ArrayList<>();
        for (PruningMethod m : methods)
            for (PruningPattern p : patterns) {
                PruneRun.Pruned pr = PruneRun.prune(base, m, p, calib, progress.apply(m.label() + " " + p.label()));
                long z = 0, n = 0;
                for (PruneRun.MatrixSparsity s : PruneRun.sparsity(pr.model())) { z += s.zeros(); n += s.total(); }
                measured.add(new double[]{(double) z / n, pr.seconds()});
                models.add(pr.model().build());
            }
        List<QuantizationStats> stats = PairedPerplexity.run(base, models, windows, progress.apply("evaluate"));
        Cell[][] cells = new Cell[methods.size()][patterns.size()];
        for (int i = 0; i < methods.size(); i++)
            for (int k = 0; k < patterns.size(); k++) {
                int at = i * patterns.size() + k;
                cells[i][k] = new Cell(measured.get(at)[0], stats.get(at), measured.get(at)[1]);
            }
        return new Table(List.copyOf(methods), List.copyOf(patterns), cells);
    }

    /** Unstructured levels then N:M patterns, for the methods that take them (structured: levels only). */
    public static List<PruningPattern> patterns(List<Double> levels, List<String> nm) {
        List<PruningPattern> p = new ArrayList<>();
        for (double s : levels) p.add(PruningPattern.unstructured(s));
        for (String s : nm) p.add(PruningPattern.nm(s));
        return p;
    }
}
