package dev.actlab.prune;

import static dev.actlab.io.chart.Svg.esc;

import dev.actlab.inspect.HtmlReport;
import dev.actlab.io.chart.LineChart;
import java.util.Locale;

/** A pruning sweep as one self-contained HTML page: perplexity and mean KLD against sparsity per method (log axes), and the table. */
public final class PruneSweepReport {
    private PruneSweepReport() {}

    public static String html(PruneSweep.Table t, String model, String protocol) {
        StringBuilder h = new StringBuilder(1 << 15);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>actlab \u2013 pruning sweep</title>\n<style>")
                .append(HtmlReport.css()).append("</style></head><body>\n<h1>Weight pruning: methods \u00d7 sparsity</h1>\n<div class=\"meta\"><code>")
                .append(esc(model)).append("</code> \u00b7 ").append(esc(protocol)).append(" \u00b7 dense perplexity ")
                .append(String.format(Locale.ROOT, "%.3f", t.basePerplexity())).append("</div>\n");
        h.append("<p class=\"rule\">Pruned: q, k, v, o, gate, up, down of every block (not the embedding or unembedding). ")
                .append("Unstructured levels prune that fraction of each output row; N:M keeps N of every M consecutive inputs of a row. ")
                .append("Perplexity and KL divergence from the dense model on the same held-out windows (as <code>actlab ppl --kl-base</code>).</p>\n");
        LineChart ppl = new LineChart("perplexity against sparsity", "sparsity (fraction of each row pruned) / N:M", "perplexity", t.patternLabels(), true);
        LineChart kld = new LineChart("mean KL divergence from the dense model", "sparsity / N:M", "nats per token", t.patternLabels(), true);
        double[] dense = new double[t.patterns().size()];
        java.util.Arrays.fill(dense, t.basePerplexity());
        for (int i = 0; i < t.methods().size(); i++) {
            double[] p = new double[dense.length], k = new double[dense.length];
            for (int j = 0; j < p.length; j++) { p[j] = t.cells()[i][j].stats().perplexity(); k[j] = t.cells()[i][j].stats().meanKld(); }
            ppl.add(t.methods().get(i).label(), p);
            kld.add(t.methods().get(i).label(), k);
        }
        ppl.add("dense", dense);
        h.append("<div class=\"row\">").append(ppl.svg(580, 380)).append(kld.svg(580, 380)).append("</div>\n");
        h.append("<table><tr><th class=\"l\">method</th>");
        for (String s : t.patternLabels()) h.append("<th>").append(esc(s)).append(" PPL</th><th>ratio</th><th>mean KLD</th><th>zeros</th>");
        h.append("</tr>\n");
        for (int i = 0; i < t.methods().size(); i++) {
            h.append("<tr><td class=\"l\">").append(esc(t.methods().get(i).label())).append("</td>");
            for (PruneSweep.Cell c : t.cells()[i])
                h.append(String.format(Locale.ROOT, "<td>%.3f</td><td>%.3fx</td><td>%.4f</td><td>%.1f%%</td>",
                        c.stats().perplexity(), c.stats().perplexity() / c.stats().basePerplexity(), c.stats().meanKld(), 100 * c.sparsity()));
            h.append("</tr>\n");
        }
        return h.append("</table>\n</body></html>\n").toString();
    }
}
