package dev.actlab.sparsity;

import static dev.actlab.io.chart.Svg.esc;

import dev.actlab.io.chart.CurveChart;
import java.util.Locale;

/**
 * A sparsity sweep as one self-contained HTML page: perplexity increase and mean KLD against the target
 * sparsity (each point labelled with the measured weight sparsity), decode speedup against it with the
 * memory-traffic limit, and the table.
 */
public final class SparsitySweepReport {
    private SparsitySweepReport() {}

    private static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px auto;max-width:1200px;color:#1d1d1f;padding:0 16px}
            h1{font-size:22px;margin:0 0 4px}.meta{color:#555;font-size:13px;margin-bottom:12px}
            table{border-collapse:collapse;font-size:13px;margin:10px 0}th,td{padding:3px 10px;text-align:right;border-bottom:1px solid #eee}
            th{background:#f3f3f5}td.l,th.l{text-align:left}code{background:#f3f3f5;padding:0 3px;border-radius:3px}
            .row{display:flex;flex-wrap:wrap;gap:8px}.scroll{overflow-x:auto;max-width:100%}
            svg.chart{background:#fff;border:1px solid #e5e5e5;border-radius:4px;margin:4px 8px 4px 0}
            svg .title{font-size:14px;font-weight:600;fill:#1d1d1f}svg .tick{font-size:11px;fill:#444}svg .label{font-size:12px;fill:#222}
            svg .legend{font-size:12px;fill:#222}svg .grid{stroke:#e6e6e6}svg .axis{stroke:#333}
            """;

    public static String html(SparsitySweep.Table t, String model, String protocol) {
        StringBuilder h = new StringBuilder(1 << 15);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>actlab \u2013 sparsity sweep</title>\n<style>")
                .append(CSS).append("</style></head><body>\n<h1>Activation sparsity: methods \u00d7 sparsity levels</h1>\n<div class=\"meta\"><code>")
                .append(esc(model)).append("</code> \u00b7 ").append(esc(protocol)).append(" \u00b7 allocation ").append(esc(t.allocation())).append("</div>\n");
        h.append("<div class=\"row\">");
        if (t.quality() != null) {
            CurveChart ppl = new CurveChart("perplexity increase over dense (%)", "target sparsity", "PPL(sparse) / PPL(dense) - 1, %");
            CurveChart kld = new CurveChart("mean KL divergence from dense", "target sparsity", "nats per token");
            for (int i = 0; i < t.methods().size(); i++)
                for (int k = 0; k < t.levels().length; k++) {
                    var q = t.quality()[i][k];
                    String label = String.format(Locale.ROOT, "%.2f", q.weightSparsity());
                    ppl.add(t.methods().get(i), t.levels()[k], 100 * (q.stats().perplexity() / q.stats().basePerplexity() - 1), label);
                    kld.add(t.methods().get(i), t.levels()[k], q.stats().meanKld(), label);
                }
            h.append(ppl.svg(580, 380)).append(kld.svg(580, 380));
        }
        if (t.speed() != null) {
            CurveChart sp = new CurveChart("decode speedup over dense (median)", "target sparsity", "sparse / dense tokens per second");
            for (int i = 0; i < t.methods().size(); i++)
                for (int k = 0; k < t.levels().length; k++) {
                    var r = t.speed()[i][k];
                    sp.add(t.methods().get(i), t.levels()[k], r.speedupMedian(), String.format(Locale.ROOT, "%.2fx", r.speedupMedian()));
                    sp.add(t.methods().get(i) + " limit", t.levels()[k], r.trafficLimit(), "");
                }
            h.append(sp.svg(580, 380));
        }
        h.append("</div>\n<div class=\"meta\">Point labels on the quality charts: the measured fraction of block weights skipped on the evaluation text. "
                + "\u201climit\u201d: the speedup that memory traffic allows at the measured sparsity (the unembedding is read whole).</div>\n");
        h.append("<div class=\"scroll\"><table><tr><th class=\"l\">method</th><th>target</th>");
        if (t.quality() != null) h.append("<th>PPL</th><th>ratio</th><th>mean KLD</th><th>same top</th><th>site sparsity</th><th>weight sparsity</th>");
        if (t.speed() != null) h.append("<th>dense tok/s</th><th>sparse tok/s</th><th>speedup</th><th>limit</th>");
        h.append("</tr>\n");
        for (int i = 0; i < t.methods().size(); i++)
            for (int k = 0; k < t.levels().length; k++) {
                h.append("<tr><td class=\"l\">").append(esc(t.methods().get(i))).append(String.format(Locale.ROOT, "</td><td>%.2f</td>", t.levels()[k]));
                if (t.quality() != null) {
                    var q = t.quality()[i][k];
                    h.append(String.format(Locale.ROOT, "<td>%.3f</td><td>%.3fx</td><td>%.5f</td><td>%.1f%%</td><td>%.3f</td><td>%.3f</td>",
                            q.stats().perplexity(), q.stats().perplexity() / q.stats().basePerplexity(), q.stats().meanKld(), 100 * q.stats().sameTop(),
                            q.meanSiteSparsity(), q.weightSparsity()));
                }
                if (t.speed() != null) {
                    var r = t.speed()[i][k];
                    h.append(String.format(Locale.ROOT, "<td>%.1f</td><td>%.1f</td><td>%.2fx</td><td>%.2fx</td>", r.medianDense(), r.medianSparse(), r.speedupMedian(), r.trafficLimit()));
                }
                h.append("</tr>\n");
            }
        h.append("</table></div>\n</body></html>\n");
        return h.toString();
    }
}
