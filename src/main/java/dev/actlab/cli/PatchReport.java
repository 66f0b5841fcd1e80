package dev.actlab.cli;

import static dev.actlab.io.chart.Svg.esc;

import dev.actlab.inspect.HtmlReport;
import dev.actlab.io.chart.ColorScale;
import dev.actlab.io.chart.Heatmap;
import dev.actlab.io.chart.ScatterChart;
import dev.actlab.steer.ActivationPatching;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * patch.html: the restored fraction per site and position as a heatmap, and with attribution
 * the estimated one beside it on the same colour scale, a scatter of estimate against real
 * effect, and the correlations. Self-contained (inline CSS and SVG).
 */
final class PatchReport {
    private PatchReport() {}

    static String html(String model, ActivationPatching.Result r, double[][] estimate, List<String> columns, Map<String, Object> json) {
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
        ColorScale scale = new ColorScale(-max, max, false);
        StringBuilder h = new StringBuilder(1 << 14);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>actlab patch \u2013 ").append(esc(model))
                .append("</title>\n<style>").append(HtmlReport.css()).append("</style></head><body>\n<h1>actlab patch</h1>\n<div class=\"meta\">model <code>")
                .append(esc(model)).append("</code> \u00b7 metric <code>").append(esc(r.metric().spec())).append("</code> \u00b7 clean ")
                .append(esc(String.format(Locale.ROOT, "%.4f", r.clean()))).append(", corrupted ").append(esc(String.format(Locale.ROOT, "%.4f", r.corrupt())))
                .append("</div>\n<p class=\"rule\">Restored fraction = (metric with the site patched from the clean run \u2212 corrupted metric) / (clean \u2212 corrupted). ")
                .append("1: the patch alone restores the clean behaviour; 0: it changes nothing.</p>\n");
        h.append("<h2>Activation patching</h2>\n");
        h.append(new Heatmap("restored fraction, one forward pass per cell", "position", "site", "restored", r.sites(), columns, real, scale)
                .showValues(true).svg(1100));
        if (est != null) {
            @SuppressWarnings("unchecked") Map<String, Object> corr = (Map<String, Object>) json.get("correlation");
            h.append("<h2>Attribution patching</h2>\n<p class=\"rule\">Estimated as (a<sub>clean</sub> \u2212 a<sub>corrupt</sub>) \u00b7 \u2202metric/\u2202a on the corrupted run: ")
                    .append("the clean and corrupted runs plus one backward pass for every cell (Nanda 2023; Kram\u00e1r et al. 2024).</p>\n");
            h.append(new Heatmap("estimated restored fraction", "position", "site", "estimated", r.sites(), columns, est, scale).showValues(true).svg(1100));
            h.append("<h2>Estimate against the real patch</h2>\n<ul class=\"findings\"><li>")
                    .append(esc(String.format(Locale.ROOT, "all %s cells: Pearson %s, Spearman %s", corr.get("cells"), PatchCommand.fmt(corr.get("pearson")), PatchCommand.fmt(corr.get("spearman")))))
                    .append("</li>");
            @SuppressWarnings("unchecked") Map<String, Map<String, Object>> kinds = (Map<String, Map<String, Object>>) corr.get("by_site_kind");
            kinds.forEach((k, v) -> h.append("<li>").append(esc(String.format(Locale.ROOT, "%s: Pearson %s, Spearman %s (%s cells)", k, PatchCommand.fmt(v.get("pearson")),
                    PatchCommand.fmt(v.get("spearman")), v.get("cells")))).append("</li>"));
            h.append("</ul>\n");
            ScatterChart sc = new ScatterChart("estimated against real effect (metric change)", "activation patching", "attribution patching");
            for (int s = 0; s < S; s++)
                for (int c = 0; c < C; c++)
                    sc.add(PatchCommand.kind(r.sites().get(s)), r.effect(s, c), estimate[s][c], r.sites().get(s) + " @ " + columns.get(c));
            h.append(sc.svg(760, 520));
        }
        return h.append("</body></html>\n").toString();
    }
}
