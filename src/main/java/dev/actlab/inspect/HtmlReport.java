package dev.actlab.inspect;

import static dev.actlab.io.chart.Svg.esc;
import static dev.actlab.io.chart.Svg.num;
import static dev.actlab.io.chart.Svg.pct;

import dev.actlab.io.chart.BarChart;
import dev.actlab.io.chart.ColorScale;
import dev.actlab.io.chart.Heatmap;
import dev.actlab.io.chart.LineChart;
import dev.actlab.io.chart.TokenHeat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * report.html: one self-contained page (inline CSS and SVG, no script, nothing fetched) with the
 * findings, their rules, and charts drawn from the {@link InspectReport}. Tooltips are SVG titles.
 */
public final class HtmlReport {
    /** Rows of the massive-activation table; the JSON report lists more. */
    static final int MAX_TABLE_ROWS = 200;

    private static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px auto;max-width:1360px;color:#1d1d1f;padding:0 16px}
            h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
            .meta{color:#555;font-size:13px}.rule{color:#555;font-size:12.5px;margin:4px 0 10px;font-style:italic}
            ul.findings li{margin:3px 0;font-size:14px}
            table{border-collapse:collapse;font-size:12.5px;margin:6px 0}th,td{padding:3px 8px;text-align:right;border-bottom:1px solid #eee}
            th{background:#f3f3f5;position:sticky;top:0}td.l,th.l{text-align:left}tr:nth-child(even) td{background:#fafafa}
            .row{display:flex;flex-wrap:wrap;gap:12px}.scroll{overflow-x:auto;max-width:100%}
            svg.chart{background:#fff;border:1px solid #e5e5e5;border-radius:4px;margin:4px 0}
            svg .title{font-size:14px;font-weight:600;fill:#1d1d1f}svg .tick{font-size:11px;fill:#444}svg .label{font-size:12px;fill:#222}
            svg .legend{font-size:12px;fill:#222}svg .cell{font-size:10px}svg .grid{stroke:#e6e6e6}svg .axis{stroke:#333}
            td.lens{text-align:center;color:#fff;min-width:70px}td.hit{outline:2px solid #d62728;outline-offset:-2px}
            code{background:#f3f3f5;padding:0 3px;border-radius:3px}.tok{font-family:ui-monospace,Menlo,Consolas,monospace}
            """;

    private HtmlReport() {}

    /** The page style, shared with the dynamics page. */
    public static String css() { return CSS; }

    public static String render(InspectReport r) {
        StringBuilder h = new StringBuilder(1 << 16);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>actlab inspect \u2013 ").append(esc(r.model().source()))
                .append("</title>\n<style>").append(CSS).append(TokenHeat.CSS).append("</style></head><body>\n");
        h.append("<h1>actlab inspect</h1>\n<div class=\"meta\">model <code>").append(esc(r.model().source())).append("</code> \u00b7 ")
                .append(esc(r.model().architecture())).append(" \u00b7 ").append(r.model().layers()).append(" layers \u00b7 d_model ").append(r.model().dModel())
                .append(" \u00b7 ").append(r.input().tokens()).append(" tokens in ").append(r.input().chunks()).append(r.input().chunks() == 1 ? " chunk" : " chunks")
                .append(" of up to ").append(r.input().ctx()).append(String.format(Locale.ROOT, " \u00b7 %.2f s", r.seconds())).append("</div>\n");

        h.append("<h2>Findings</h2>\n<ul class=\"findings\">");
        for (String line : FindingsSummary.lines(r)) h.append("<li>").append(esc(line)).append("</li>");
        for (String note : r.notes()) h.append("<li class=\"meta\">").append(esc(note)).append("</li>");
        h.append("</ul>\n");

        inputText(h, r);
        layerCurves(h, r);
        residualHeatmap(h, r);
        massiveTable(h, r);
        outlierTable(h, r);
        sparsityChart(h, r);
        sinkHeatmap(h, r);
        logitLensTable(h, r);
        siteTable(h, r);
        h.append("</body></html>\n");
        return h.toString();
    }

    private static List<String> layerNames(int layers) {
        List<String> out = new ArrayList<>();
        for (int l = 0; l < layers; l++) out.add(Integer.toString(l));
        return out;
    }

    /** The input text, once per per-token quantity, each token coloured by its value (hover for the number). */
    private static void inputText(StringBuilder h, InspectReport r) {
        var v = r.tokenView();
        if (v == null || v.strips().isEmpty()) return;
        h.append("<h2>Input text</h2>\n<div class=\"rule\">").append(v.shownTokens() < v.totalTokens() ? "the first " + v.shownTokens() + " of " + v.totalTokens() + " tokens; " : "")
                .append("each token coloured by the quantity named under it; hover for its position and value</div>\n");
        for (var s : v.strips()) h.append(TokenHeat.of(s.quantity(), s.unit(), s.values(), s.signed()).html(v.tokens(), s.values(), 0, -1));
    }

    private static final List<String> CURVE_SITES = List.of("hook_resid_post", "hook_attn_out", "hook_mlp_out", "mlp.hook_post", "ln1.hook_normalized");

    private static void layerCurves(StringBuilder h, InspectReport r) {
        int L = r.model().layers();
        LineChart maxAbs = new LineChart("max |x| per layer", "layer", "max |x|", layerNames(L), true);
        LineChart kurt = new LineChart("excess kurtosis per layer", "layer", "excess kurtosis", layerNames(L), false);
        for (String suffix : CURVE_SITES) {
            double[] m = new double[L], k = new double[L];
            boolean any = false;
            for (int l = 0; l < L; l++) {
                SiteStats.Report s = r.site("blocks." + l + "." + suffix);
                m[l] = s == null ? Double.NaN : s.all().maxAbs();
                k[l] = s == null ? Double.NaN : s.all().kurtosis();
                any |= s != null;
            }
            if (!any) continue;
            maxAbs.add(suffix, m);
            kurt.add(suffix, k);
        }
        h.append("<h2>Magnitude and tails per layer</h2>\n<div class=\"rule\">over all values of each site (all positions and channels); kurtosis 0 = Gaussian tails</div>\n<div class=\"row\">")
                .append(maxAbs.svg(650, 330)).append(kurt.svg(650, 330)).append("</div>\n");
    }

    private static void residualHeatmap(StringBuilder h, InspectReport r) {
        int L = r.model().layers();
        List<double[]> rows = new ArrayList<>();
        int d = 0;
        for (int l = 0; l < L; l++) {
            SiteStats.Report s = r.site("blocks." + l + ".hook_resid_post");
            if (s == null || s.channels() == null) { rows.add(null); continue; }
            float[] m = s.channels().maxAbs();
            double[] row = new double[m.length];
            for (int c = 0; c < m.length; c++) row[c] = m[c];
            rows.add(row);
            d = Math.max(d, m.length);
        }
        if (d == 0) return;
        double[][] v = new double[L][d];
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (int l = 0; l < L; l++) {
            java.util.Arrays.fill(v[l], Double.NaN);
            if (rows.get(l) == null) continue;
            for (int c = 0; c < rows.get(l).length; c++) {
                v[l][c] = rows.get(l)[c];
                if (v[l][c] > 0) { lo = Math.min(lo, v[l][c]); hi = Math.max(hi, v[l][c]); }
            }
        }
        List<String> cols = new ArrayList<>();
        for (int c = 0; c < d; c++) cols.add(Integer.toString(c));
        Heatmap hm = new Heatmap("max |x| of the residual stream (blocks.L.hook_resid_post)", "channel", "layer", "max |x|",
                layerNames(L), cols, v, new ColorScale(lo == Double.POSITIVE_INFINITY ? 1e-3 : lo, Math.max(hi, 1e-3), true));
        h.append("<h2>Residual stream: layer \u00d7 channel</h2>\n<div class=\"scroll\">").append(hm.svg(1340)).append("</div>\n");
    }

    private static void rule(StringBuilder h, Rule rule) {
        h.append("<div class=\"rule\">rule <code>").append(esc(rule.name())).append("</code>: ").append(esc(rule.description())).append(" \u00b7 parameters ");
        List<String> ps = new ArrayList<>();
        for (Map.Entry<String, Object> e : rule.params().entrySet()) ps.add(e.getKey() + "=" + e.getValue());
        h.append("<code>").append(esc(String.join(", ", ps))).append("</code></div>\n");
    }

    private static void massiveTable(StringBuilder h, InspectReport r) {
        var m = r.massiveActivations();
        h.append("<h2>Massive activations</h2>\n");
        rule(h, m.rule());
        var s = m.summary();
        if (s.count() == 0) { h.append("<p>None found.</p>\n"); return; }
        h.append("<p>").append(s.count()).append(" scalars at ").append(s.distinctPositions()).append(s.distinctPositions() == 1 ? " position" : " positions").append(": first token of a chunk ")
                .append(s.onFirstToken()).append(", delimiters ").append(s.onDelimiters()).append(", other tokens ").append(s.onOtherTokens())
                .append(". Tokens: ").append(esc(s.byToken().toString())).append(". Channels: ").append(esc(s.byChannel().toString())).append(".</p>\n");
        h.append("<table><tr><th>layer</th><th>position</th><th class=\"l\">token</th><th>channel</th><th>value</th><th>row median |x|</th><th>ratio</th></tr>\n");
        int shown = 0;
        for (var f : m.findings()) {
            if (shown++ >= MAX_TABLE_ROWS) break;
            h.append("<tr><td>").append(f.layer()).append("</td><td>").append(f.position()).append("</td><td class=\"l tok\">")
                    .append(esc(TokenText.display(f.tokenId(), f.token()))).append(f.token() != null ? " <span class=\"meta\">#" + f.tokenId() + "</span>" : "")
                    .append("</td><td>").append(f.channel()).append("</td><td>").append(num(f.value())).append("</td><td>").append(num(f.rowMedianAbs()))
                    .append("</td><td>").append(num(Math.abs(f.value()) / f.rowMedianAbs())).append("</td></tr>\n");
        }
        h.append("</table>\n");
        if (m.findings().size() > MAX_TABLE_ROWS || m.truncated())
            h.append("<p class=\"meta\">showing ").append(Math.min(MAX_TABLE_ROWS, m.findings().size())).append(" of ").append(s.count()).append(" (report.json lists ").append(m.findings().size()).append(")</p>\n");
    }

    private static void outlierTable(StringBuilder h, InspectReport r) {
        var o = r.outlierChannels();
        h.append("<h2>Outlier channels (LLM.int8())</h2>\n");
        rule(h, o.rule());
        if (o.findings().isEmpty()) { h.append("<p>None found.</p>\n"); return; }
        h.append("<table><tr><th>channel</th><th class=\"l\">affected layers</th><th>fraction of layers</th><th>max fraction of tokens</th><th>max |x|</th></tr>\n");
        for (var f : o.findings())
            h.append("<tr><td>").append(f.channel()).append("</td><td class=\"l\">").append(esc(f.layers().toString())).append("</td><td>").append(pct(f.layerFraction()))
                    .append("</td><td>").append(pct(f.maxTokenFraction())).append("</td><td>").append(num(f.maxAbs())).append("</td></tr>\n");
        h.append("</table>\n");
    }

    private static void sparsityChart(StringBuilder h, InspectReport r) {
        var sp = r.sparsity();
        h.append("<h2>MLP activation sparsity</h2>\n");
        rule(h, sp.rule());
        if (sp.layers().isEmpty()) { h.append("<p>No MLP activation site.</p>\n"); return; }
        List<String> cats = new ArrayList<>();
        double[] zero = new double[sp.layers().size()], near = new double[sp.layers().size()];
        for (int i = 0; i < zero.length; i++) {
            var l = sp.layers().get(i);
            cats.add(Integer.toString(l.layer()));
            zero[i] = l.zeroFraction();
            near[i] = l.nearZeroFraction();
        }
        BarChart b = new BarChart("fraction of (near) zeros at blocks.L.mlp.hook_post", "layer", "fraction of values", cats, true)
                .add("exact zeros", zero).add("|x| < " + num(r.options().eps()), near);
        h.append(b.svg(900, 300));
    }

    private static void sinkHeatmap(StringBuilder h, InspectReport r) {
        var a = r.attentionSinks();
        h.append("<h2>Attention sinks</h2>\n");
        rule(h, a.rule());
        double[][] mass = a.mass();
        int heads = 0;
        for (double[] row : mass) heads = Math.max(heads, row.length);
        if (heads == 0) { h.append("<p>No attention pattern was seen (a single-token input has no query after the first).</p>\n"); return; }
        List<String> cols = new ArrayList<>();
        for (int i = 0; i < heads; i++) cols.add(Integer.toString(i));
        Heatmap hm = new Heatmap("mean attention on the first position", "head", "layer", "attention", layerNames(mass.length), cols, mass,
                new ColorScale(0, 1, false)).showValues(true);
        h.append(hm.svg(Math.min(1340, 200 + heads * 48)));
    }

    private static void logitLensTable(StringBuilder h, InspectReport r) {
        h.append("<h2>Logit lens</h2>\n");
        var lens = r.logitLens();
        if (lens == null) { h.append("<p>Not available for this model (it needs a decoder's final norm and unembedding).</p>\n"); return; }
        rule(h, lens.rule());
        h.append("<p class=\"meta\">each cell: the top-1 next-token prediction at that layer and its probability (hover for the top ")
                .append(r.options().lensTopK()).append("); outlined where it is the token that actually follows</p>\n");
        ColorScale scale = new ColorScale(0, 1, false);
        h.append("<div class=\"scroll\"><table><tr><th>layer</th>");
        for (var p : lens.positions())
            h.append("<th class=\"tok\">").append(p.position()).append(": ").append(esc(TokenText.display(p.tokenId(), p.token())))
                    .append("<br><span class=\"meta\">next ").append(p.nextTokenId() == null ? "?" : esc(TokenText.display(p.nextTokenId(), p.nextToken()))).append("</span></th>");
        h.append("</tr>\n");
        int layers = lens.positions().isEmpty() ? 0 : lens.positions().get(0).layers().size();
        for (int l = 0; l < layers; l++) {
            h.append("<tr><td>").append(l).append("</td>");
            for (var p : lens.positions()) {
                var v = p.layers().get(l);
                var top = v.top().get(0);
                StringBuilder tip = new StringBuilder();
                for (var pr : v.top()) tip.append(TokenText.display(pr.tokenId(), pr.token())).append(String.format(Locale.ROOT, " %.3f\n", pr.prob()));
                if (v.nextTokenRank() != null) tip.append("next token rank ").append(v.nextTokenRank()).append(String.format(Locale.ROOT, ", p %.3g", v.nextTokenProb()));
                boolean hit = p.nextTokenId() != null && top.tokenId() == p.nextTokenId();
                h.append("<td class=\"lens tok").append(hit ? " hit" : "").append("\" style=\"background:").append(scale.color(top.prob()))
                        .append(";color:").append(scale.textColor(top.prob())).append("\" title=\"").append(esc(tip.toString())).append("\">")
                        .append(esc(TokenText.display(top.tokenId(), top.token()))).append(String.format(Locale.ROOT, " %.2f", top.prob())).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table></div>\n");
    }

    private static void siteTable(StringBuilder h, InspectReport r) {
        h.append("<h2>Statistics per site</h2>\n<div class=\"rule\">over all values of the site; quantiles from t-digest; near zero = |x| &lt; ")
                .append(esc(num(r.options().eps()))).append("; per-channel columns are in report.json</div>\n");
        h.append("<div class=\"scroll\"><table><tr><th class=\"l\">site</th><th>shape</th><th>count</th><th>mean</th><th>std</th><th>min</th><th>max</th><th>max |x|</th>"
                + "<th>kurtosis</th><th>zeros</th><th>near 0</th><th>p0.1</th><th>p1</th><th>p50</th><th>p99</th><th>p99.9</th></tr>\n");
        for (var s : r.sites()) {
            var a = s.all();
            h.append("<tr><td class=\"l\"><code>").append(esc(s.site())).append("</code></td><td>").append(esc(java.util.Arrays.toString(s.rowShape())))
                    .append("</td><td>").append(a.count()).append("</td><td>").append(num(a.mean())).append("</td><td>").append(num(a.std()))
                    .append("</td><td>").append(num(a.min())).append("</td><td>").append(num(a.max())).append("</td><td>").append(num(a.maxAbs()))
                    .append("</td><td>").append(num(a.kurtosis())).append("</td><td>").append(pct(a.zeroFraction())).append("</td><td>").append(pct(a.nearZeroFraction()));
            for (double q : a.quantiles().values()) h.append("</td><td>").append(num(q));
            h.append("</td></tr>\n");
        }
        h.append("</table></div>\n");
    }
}
