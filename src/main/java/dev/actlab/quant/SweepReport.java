package dev.actlab.quant;

import static dev.actlab.io.chart.Svg.esc;

import dev.actlab.io.chart.LineChart;
import java.util.Locale;

/**
 * A quantization sweep as one self-contained HTML page: the perplexity increase over FP32 and the mean KLD against
 * bit settings (log axes; a setting no worse than FP32 has no point), and the table.
 */
public final class SweepReport {
    private SweepReport() {}

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

    public static String html(QuantSweep.Table t, String model, String protocol) {
        StringBuilder h = new StringBuilder(1 << 15);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>actlab \u2013 quantization sweep</title>\n<style>")
                .append(CSS).append("</style></head><body>\n<h1>Post-training quantization: methods \u00d7 bit widths</h1>\n<div class=\"meta\"><code>")
                .append(esc(model)).append("</code> \u00b7 ").append(esc(protocol)).append(" \u00b7 FP32 perplexity ")
                .append(String.format(Locale.ROOT, "%.3f", t.basePerplexity())).append("</div>\n");
        LineChart ppl = new LineChart("perplexity increase over FP32 (%)", "weights / activations bits", "PPL(Q) / PPL(FP32) - 1, %", t.bits(), true);
        LineChart kld = new LineChart("mean KL divergence from FP32", "weights / activations bits", "nats per token", t.bits(), true);
        for (int i = 0; i < t.methods().size(); i++) {
            double[] p = new double[t.bits().size()], k = new double[t.bits().size()];
            for (int j = 0; j < p.length; j++) {
                var st = t.cells()[i][j].stats();
                p[j] = 100 * (st.perplexity() / st.basePerplexity() - 1);      // not above FP32: left out of the log axis
                k[j] = st.meanKld();
            }
            ppl.add(t.methods().get(i), p);
            kld.add(t.methods().get(i), k);
        }
        h.append("<div class=\"row\">").append(ppl.svg(580, 380)).append(kld.svg(580, 380)).append("</div>\n");
        h.append("<div class=\"scroll\"><table><tr><th class=\"l\">method</th><th class=\"l\">recipe template</th>");
        for (String b : t.bits()) h.append("<th>").append(esc(b)).append(" PPL</th><th>ratio</th><th>mean KLD</th><th>same top</th>");
        h.append("</tr>\n");
        for (int i = 0; i < t.methods().size(); i++) {
            h.append("<tr><td class=\"l\">").append(esc(t.methods().get(i))).append("</td><td class=\"l\"><code>").append(esc(t.templates().get(i))).append("</code></td>");
            for (int j = 0; j < t.bits().size(); j++) {
                var s = t.cells()[i][j].stats();
                h.append(String.format(Locale.ROOT, "<td>%.3f</td><td>%.3fx</td><td>%.5f</td><td>%.1f%%</td>",
                        s.perplexity(), s.perplexity() / s.basePerplexity(), s.meanKld(), 100 * s.sameTop()));
            }
            h.append("</tr>\n");
        }
        h.append("</table></div>\n</body></html>\n");
        return h.toString();
    }
}
