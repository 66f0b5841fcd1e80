package dev.actlab.steer;

import static dev.actlab.io.chart.Svg.esc;

import dev.actlab.inspect.HtmlReport;
import dev.actlab.io.chart.ColorScale;
import dev.actlab.io.chart.Heatmap;
import dev.actlab.io.chart.ScatterChart;
import dev.actlab.io.chart.TokenHeat;
import dev.actlab.inspect.TokenText;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A patch experiment for people. patch.html: the restored fraction per site and position as a
 * heatmap, and with attribution the estimated one beside it on the same colour scale, a scatter
 * of estimate against real effect, and the correlations; self-contained (inline CSS and SVG).
 * On a terminal: the same fractions as tables, the correlations and the times.
 */
public final class PatchReport {
    private PatchReport() {}

    public static String html(PatchExperiment x) {
        String model = x.model().source();
        ActivationPatching.Result r = x.result();
        double[][] estimate = x.estimate();
        List<String> columns = x.columnLabels();
        int S = r.sites().size(), C = r.columns();
        double gap = r.clean() - r.corrupt();
        double[][] real = new double[S][C], est = estimate == null ? null : new double[S][C];
        double max = 1;
        for (int s = 0; s < S; s++)
            for (int c = 0; c < C; c++) {
                real[s][c] = r.restored(s, c);
                max = Math.max(max, Math.abs(real[s][c]));
                if (est != null) { est[s][c] = estimate[s][c] / gap; max = Math.max(max, Math.abs(est[s][c])); }
            }
        ColorScale scale = ColorScale.diverging(max);
        StringBuilder h = new StringBuilder(1 << 14);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>actlab patch \u2013 ").append(esc(model))
                .append("</title>\n<style>").append(HtmlReport.css()).append(TokenHeat.CSS).append("</style></head><body>\n<h1>actlab patch</h1>\n<div class=\"meta\">model <code>")
                .append(esc(model)).append("</code> \u00b7 metric <code>").append(esc(r.metric().spec())).append("</code> \u00b7 clean ")
                .append(esc(String.format(Locale.ROOT, "%.4f", r.clean()))).append(", corrupted ").append(esc(String.format(Locale.ROOT, "%.4f", r.corrupt())))
                .append("</div>\n<p class=\"rule\">Restored fraction = (metric with the site patched from the clean run \u2212 corrupted metric) / (clean \u2212 corrupted). ")
                .append("1: the patch alone restores the clean behaviour; 0: it changes nothing. One forward pass per cell.</p>\n");
        h.append("<h2>Activation patching</h2>\n");
        tokenStrip(h, x, real, "restored fraction");
        h.append(new Heatmap("restored fraction of the clean \u2212 corrupted gap", "position", "site", "restored", r.sites(), columns, real, scale)
                .showValues(true).svg(1100));
        if (est != null) {
            Map<String, Object> corr = x.correlation();
            h.append("<h2>Attribution patching</h2>\n<p class=\"rule\">Estimated as (a<sub>clean</sub> \u2212 a<sub>corrupt</sub>) \u00b7 \u2202metric/\u2202a on the corrupted run: ")
                    .append("the clean and corrupted runs plus one backward pass for every cell (Nanda 2023; Kram\u00e1r et al. 2024).</p>\n");
            tokenStrip(h, x, est, "estimated restored fraction");
            h.append(new Heatmap("estimated fraction of the gap", "position", "site", "estimated", r.sites(), columns, est, scale).showValues(true).svg(1100));
            h.append("<h2>Estimate against the real patch</h2>\n<ul class=\"findings\"><li>")
                    .append(esc(String.format(Locale.ROOT, "all %s cells: Pearson %s, Spearman %s", corr.get("cells"), correlation(corr.get("pearson")), correlation(corr.get("spearman")))))
                    .append("</li>");
            @SuppressWarnings("unchecked") Map<String, Map<String, Object>> kinds = (Map<String, Map<String, Object>>) corr.get("by_site_kind");
            kinds.forEach((k, v) -> h.append("<li>").append(esc(String.format(Locale.ROOT, "%s: Pearson %s, Spearman %s (%s cells)", k, correlation(v.get("pearson")),
                    correlation(v.get("spearman")), v.get("cells")))).append("</li>"));
            h.append("</ul>\n");
            h.append("<p class=\"rule\">The scatter plots the metric change itself (patched \u2212 corrupted, in the metric's units), not the fraction of the heatmaps; ")
                    .append("the clean \u2212 corrupted gap is ").append(esc(String.format(Locale.ROOT, "%.4f", gap))).append(".</p>\n");
            ScatterChart sc = new ScatterChart("estimated against real effect: metric change (patched \u2212 corrupted)", "activation patching: metric change", "attribution patching: metric change");
            for (int s = 0; s < S; s++)
                for (int c = 0; c < C; c++)
                    sc.add(PatchExperiment.kind(r.sites().get(s)), r.effect(s, c), estimate[s][c], r.sites().get(s) + " @ " + columns.get(c));
            h.append(sc.svg(760, 520));
        }
        return h.append("</body></html>\n").toString();
    }

    /**
     * The clean prompt, each token coloured by the fraction (signed: diverging scale) at the site whose
     * row moves the metric most (largest sum of |fraction|); nothing when every position was patched at once.
     */
    private static void tokenStrip(StringBuilder h, PatchExperiment x, double[][] fraction, String unit) {
        ActivationPatching.Result r = x.result();
        if (r.mode() != ActivationPatching.Positions.EACH || fraction.length == 0) return;
        int best = 0;
        double bestSum = -1;
        for (int s = 0; s < fraction.length; s++) {
            double sum = 0;
            for (double v : fraction[s]) sum += Math.abs(v);
            if (sum > bestSum) { bestSum = sum; best = s; }
        }
        TokenText text = new TokenText(x.model().tokenizer());
        TokenHeat heat = TokenHeat.of("patching " + r.sites().get(best) + " at each position of the clean prompt (the site that moves the metric most)", unit, fraction[best], true);
        h.append(heat.html(text.inText(x.clean()), fraction[best], 0, -1));
    }

    /** The tables, correlations and times `actlab patch` prints. */
    public static void text(PatchExperiment x, PrintWriter pw) {
        ActivationPatching.Result r = x.result();
        double[][] estimate = x.estimate();
        var tokenizer = x.model().tokenizer();
        pw.printf(Locale.ROOT, "%s, metric %s%n", x.model().source(), r.metric().spec());
        pw.printf(Locale.ROOT, "clean   (%d tokens) %s: %.4f%n", x.clean().length, PatchExperiment.labels(tokenizer, x.clean()), r.clean());
        pw.printf(Locale.ROOT, "corrupt (%d tokens) %s: %.4f%n", x.corrupt().length, PatchExperiment.labels(tokenizer, x.corrupt()), r.corrupt());
        List<String> cols = x.columnLabels();
        pw.println();
        pw.println("activation patching, restored fraction (patched - corrupt) / (clean - corrupt):");
        table(pw, r.sites(), cols, (s, c) -> r.restored(s, c));
        if (estimate != null) {
            pw.println();
            pw.println("attribution patching, the same fraction estimated as (a_clean - a_corrupt) . dmetric/da:");
            table(pw, r.sites(), cols, (s, c) -> estimate[s][c] / (r.clean() - r.corrupt()));
            Map<String, Object> corr = x.correlation();
            pw.println();
            pw.printf(Locale.ROOT, "correlation with activation patching over %s cells: Pearson %s, Spearman %s%n", corr.get("cells"), correlation(corr.get("pearson")), correlation(corr.get("spearman")));
            @SuppressWarnings("unchecked") Map<String, Map<String, Object>> kinds = (Map<String, Map<String, Object>>) corr.get("by_site_kind");
            kinds.forEach((k, v) -> pw.printf(Locale.ROOT, "  %-20s Pearson %s, Spearman %s (%s cells)%n", k, correlation(v.get("pearson")), correlation(v.get("spearman")), v.get("cells")));
            pw.printf(Locale.ROOT, "time: activation patching %.2f s (%d forward passes); attribution %.3f s (clean and corrupted runs + 1 backward pass, after copying the weights in %.2f s)%n",
                    x.patchSecs(), x.runs(), x.attrSecs(), x.copySecs());
        } else {
            pw.printf(Locale.ROOT, "time: %.2f s (%d forward passes)%n", x.patchSecs(), x.runs());
        }
    }

    /** A correlation from PatchExperiment.correlation(): three decimals, or n/a when undefined (null). */
    public static String correlation(Object v) { return v == null ? "n/a" : String.format(Locale.ROOT, "%.3f", (Double) v); }

    private interface Cell { double at(int site, int col); }

    private static void table(PrintWriter pw, List<String> sites, List<String> cols, Cell cell) {
        int w0 = sites.stream().mapToInt(String::length).max().orElse(4);
        List<String> heads = new ArrayList<>();
        for (String c : cols) heads.add(c.length() > 12 ? c.substring(0, 11) + "\u2026" : c);
        int[] w = new int[heads.size()];
        for (int c = 0; c < w.length; c++) w[c] = Math.max(6, heads.get(c).length());
        StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "%-" + w0 + "s", "site"));
        for (int c = 0; c < w.length; c++) h.append("  ").append(String.format(Locale.ROOT, "%" + w[c] + "s", heads.get(c)));
        pw.println(h);
        for (int s = 0; s < sites.size(); s++) {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-" + w0 + "s", sites.get(s)));
            for (int c = 0; c < w.length; c++) b.append("  ").append(String.format(Locale.ROOT, "%" + w[c] + ".2f", cell.at(s, c)));
            pw.println(b);
        }
    }
}
