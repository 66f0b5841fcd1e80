package dev.actlab.prune;

import static dev.actlab.io.chart.Svg.esc;

import dev.actlab.io.chart.CurveChart;
import java.util.Locale;

/**
 * A low-rank sweep as one self-contained HTML page: perplexity and mean KLD against the parameters of the
 * blocks' projections as a factored store would hold them, one curve per method, and the table.
 */
public final class LowRankReport {
    private LowRankReport() {}

    private static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px auto;max-width:1200px;color:#1d1d1f;padding:0 16px}
            h1{font-size:22px;margin:0 0 4px}.meta{color:#555;font-size:13px;margin-bottom:12px}p{font-size:13px;color:#333;max-width:1100px}
            table{border-collapse:collapse;font-size:13px;margin:10px 0}th,td{padding:3px 10px;text-align:right;border-bottom:1px solid #eee}
            th{background:#f3f3f5}td.l,th.l{text-align:left}code{background:#f3f3f5;padding:0 3px;border-radius:3px}
            .row{display:flex;flex-wrap:wrap;gap:8px}.scroll{overflow-x:auto;max-width:100%}
            svg.chart{background:#fff;border:1px solid #e5e5e5;border-radius:4px;margin:4px 8px 4px 0}
            svg .title{font-size:14px;font-weight:600;fill:#1d1d1f}svg .tick{font-size:11px;fill:#444}svg .label{font-size:12px;fill:#222}
            svg .legend{font-size:12px;fill:#222}svg .grid{stroke:#e6e6e6}svg .axis{stroke:#333}
            """;

    public static String html(LowRankSweep.Table t, String model, String protocol) {
        StringBuilder h = new StringBuilder(1 << 15);
        LowRank.Result first = t.results().get(0);
        double dense = first.blockDenseParameters() / 1e6;
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>actlab \u2013 low-rank sweep</title>\n<style>")
                .append(CSS).append("</style></head><body>\n<h1>Low-rank compression: plain vs activation-whitened SVD</h1>\n<div class=\"meta\"><code>")
                .append(esc(model)).append("</code> \u00b7 ").append(esc(protocol)).append(" \u00b7 dense perplexity ")
                .append(String.format(Locale.ROOT, "%.3f", t.basePerplexity())).append("</div>\n")
                .append("<p>Every q, k, v, o, gate, up and down matrix W is replaced by a rank-k approximation: plain truncated SVD of W, or ")
                .append("SVD-LLM's whitened SVD (SVD of W S with S S<sup>T</sup> the Cholesky factorization of the calibration inputs' second moment, mapped back by S<sup>-1</sup>). ")
                .append("A rank ratio r keeps the largest k with k (rows + cols) \u2264 r rows cols; parameters are counted as a factored store would hold them.</p>\n");
        CurveChart ppl = new CurveChart("perplexity against parameters", "block projection parameters (millions)", "perplexity");
        CurveChart kld = new CurveChart("mean KL divergence from the dense model", "block projection parameters (millions)", "nats per token");
        for (int m = 0; m < t.whiten().size(); m++)
            for (int i = 0; i < t.ratios().size(); i++) {
                LowRank.Result r = t.cell(i, m);
                String label = m == 0 ? "r=" + t.ratios().get(i) : "";     // the methods share x: one label per ratio
                ppl.add(r.setting().method(), r.blockParameters() / 1e6, r.stats().perplexity(), label);
                kld.add(r.setting().method(), r.blockParameters() / 1e6, r.stats().meanKld(), label);
            }
        ppl.add("dense", dense, t.basePerplexity(), "dense");
        ppl.markX(dense, "dense");
        kld.markX(dense, "dense");
        h.append("<div class=\"row\">").append(ppl.svg(580, 380)).append(kld.svg(580, 380)).append("</div>\n");
        h.append("<div class=\"scroll\"><table><tr><th>ratio</th><th class=\"l\">method</th><th>block params</th><th>model params</th><th>PPL</th><th>ratio to dense</th>")
                .append("<th>mean KLD</th><th>p99 KLD</th><th>same top</th><th>mean rel. error</th><th>mean act. error</th></tr>\n");
        for (LowRank.Result r : t.results()) {
            var s = r.stats();
            h.append(String.format(Locale.ROOT, "<tr><td>%.2f</td><td class=\"l\">%s</td><td>%,d</td><td>%,d</td><td>%.3f</td><td>%.3fx</td><td>%.5f</td><td>%.4f</td><td>%.1f%%</td><td>%.4f</td><td>%.4f</td></tr>%n",
                    r.setting().ratio(), r.setting().method(), r.blockParameters(), r.modelParameters(), s.perplexity(), s.perplexity() / s.basePerplexity(),
                    s.meanKld(), s.p99Kld(), 100 * s.sameTop(), LowRankSweep.meanRelative(r), LowRankSweep.meanActivation(r)));
        }
        h.append("</table></div>\n</body></html>\n");
        return h.toString();
    }
}
