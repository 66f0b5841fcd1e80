package dev.actlab.sparsity;

import static dev.actlab.io.chart.Svg.esc;

import dev.actlab.io.chart.BarChart;
import dev.actlab.io.chart.CurveChart;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The page of `actlab mlp-sparsity` (DIR/sparsity.html) for one or more models: quality against
 * intrinsic sparsity (perplexity against exact zeros and against PPL-p% sparsity, one point per
 * model), each model's bisection (perplexity against sparsity), exact zeros per layer, and a table.
 */
public final class IntrinsicSparsityReport {
    private IntrinsicSparsityReport() {}

    /** labels[i] names results[i] in the charts (e.g. the run's directory). */
    public static String html(List<String> labels, List<IntrinsicSparsity.Result> results) {
        if (results.isEmpty() || labels.size() != results.size()) throw new IllegalArgumentException("one label per result, at least one result");
        IntrinsicSparsity.Result first = results.getFirst();
        String rise = String.format(Locale.ROOT, "%.3g%%", 100 * first.pplRise());
        StringBuilder h = new StringBuilder(1 << 15);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>actlab \u2013 MLP activation sparsity</title>\n<style>")
                .append(dev.actlab.inspect.HtmlReport.css()).append("</style></head><body>\n<h1>MLP activation sparsity against quality</h1>\n<div class=\"meta\">")
                .append("h = <code>blocks.L.mlp.hook_post</code> (the down projection's input) on ").append(first.tokens()).append(" tokens, windows of ")
                .append(first.ctx()).append(". Exact zeros: fraction of h that is 0.0. PPL-").append(esc(rise)).append(" sparsity (Sparsing Law, Luo et al. 2024): ")
                .append("every layer zeroes |h| at or below its own q-quantile, one level q for all layers, the largest q (bisection) whose perplexity stays within ")
                .append(esc(rise)).append(" of the dense one; the measured fraction of zeros.</div>\n<div class=\"row\">");
        CurveChart zeros = new CurveChart("perplexity against exact zeros", "exact zeros (fraction of h)", "perplexity");
        CurveChart pplp = new CurveChart("perplexity against PPL-" + rise + " sparsity", "PPL-" + rise + " sparsity", "perplexity");
        CurveChart search = new CurveChart("perplexity rise against truncation sparsity", "sparsity (fraction of h zeroed)", "perplexity / dense");
        for (int i = 0; i < results.size(); i++) {
            IntrinsicSparsity.Result r = results.get(i);
            String name = labels.get(i);
            zeros.add(name, r.exactZeros(), r.densePerplexity(), name);
            pplp.add(name, r.sparsity(), r.densePerplexity(), name);
            List<IntrinsicSparsity.Probe> probes = new ArrayList<>(r.search());
            probes.sort(java.util.Comparator.comparingDouble(IntrinsicSparsity.Probe::sparsity));
            search.add(name, r.exactZeros(), 1, "");
            for (IntrinsicSparsity.Probe p : probes) if (p.perplexity() / r.densePerplexity() < 1.5) search.add(name, p.sparsity(), p.perplexity() / r.densePerplexity(), "");
        }
        h.append(zeros.svg(560, 340)).append(pplp.svg(560, 340)).append(search.svg(560, 340));
        int layers = results.stream().mapToInt(r -> r.layers().size()).max().orElse(0);
        List<String> cats = new ArrayList<>();
        for (int l = 0; l < layers; l++) cats.add("layer " + l);
        BarChart perLayer = new BarChart("exact zeros per layer", "layer", "exact zeros", cats, true);
        for (int i = 0; i < results.size(); i++) {
            double[] z = new double[layers];
            for (IntrinsicSparsity.Layer y : results.get(i).layers()) z[y.layer()] = y.exactZeros();
            perLayer.add(labels.get(i), z);
        }
        h.append(perLayer.svg(560, 340)).append("</div>\n<h2>Models</h2>\n<table><tr><th>model</th><th>MLP</th><th>perplexity</th><th>exact zeros</th>")
                .append("<th>PPL-").append(esc(rise)).append(" sparsity</th><th>level q</th><th>perplexity at q</th></tr>\n");
        for (int i = 0; i < results.size(); i++) {
            IntrinsicSparsity.Result r = results.get(i);
            h.append("<tr><td>").append(esc(labels.get(i))).append("</td><td>").append(esc(r.mlp())).append("</td><td>").append(f(r.densePerplexity()))
                    .append("</td><td>").append(pct(r.exactZeros())).append("</td><td>").append(pct(r.sparsity())).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.4f", r.level())).append("</td><td>").append(f(r.perplexity())).append("</td></tr>\n");
        }
        return h.append("</table>\n</body></html>\n").toString();
    }

    private static String f(double v) { return String.format(Locale.ROOT, "%.3f", v); }

    private static String pct(double v) { return String.format(Locale.ROOT, "%.2f%%", 100 * v); }
}
