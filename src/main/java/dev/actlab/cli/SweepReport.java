package dev.actlab.cli;

import static dev.actlab.io.chart.Svg.esc;

import dev.actlab.inspect.HtmlReport;
import dev.actlab.io.chart.CurveChart;
import dev.actlab.io.chart.LineChart;
import dev.actlab.steer.SteeringSweep;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** sweep.json and sweep.html of a steering sweep: effect against side effect per strength, and what the model wrote. */
final class SweepReport {
    private SweepReport() {}

    static String strength(double s) {
        return s == Math.rint(s) ? String.format(Locale.ROOT, "%+d", (long) s) : String.format(Locale.ROOT, "%+.3g", s);
    }

    static Map<String, Object> json(String model, SteeringSweep.Result r, double klBudget) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", model);
        j.put("vector", r.vector().source());
        j.put("vector_layers", r.vector().layers());
        j.put("layer_range", List.of(r.layerRange()[0], r.layerRange()[1]));
        j.put("site", "blocks.N.hook_resid_post");
        j.put("effect", r.effect().spec());
        j.put("prompts", r.prompts());
        j.put("neutral_tokens", r.neutralTokens());
        j.put("ctx", r.ctx());
        j.put("unsteered_effect", r.baseEffect());
        j.put("unsteered_perplexity", r.basePerplexity());
        List<Map<String, Object>> pts = new ArrayList<>();
        for (SteeringSweep.Point p : r.points()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("strength", p.strength());
            e.put("effect", p.effect());
            e.put("effect_per_prompt", p.effectPerPrompt());
            e.put("mean_kl", p.meanKl());
            e.put("p99_kl", p.p99Kl());
            e.put("same_top1", p.sameTop1());
            e.put("perplexity", p.perplexity());
            e.put("samples", p.samples());
            pts.add(e);
        }
        j.put("points", pts);
        SteeringSweep.Point[] best = r.withinBudget(klBudget);
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("kl_budget", klBudget);
        b.put("strongest_negative", best[0] == null ? null : best[0].strength());
        b.put("effect_at_strongest_negative", best[0] == null ? null : best[0].effect());
        b.put("strongest_positive", best[1] == null ? null : best[1].strength());
        b.put("effect_at_strongest_positive", best[1] == null ? null : best[1].effect());
        j.put("within_kl_budget", b);
        return j;
    }

    static String html(String model, SteeringSweep.Result r, double klBudget) {
        List<SteeringSweep.Point> pts = r.points();
        StringBuilder h = new StringBuilder(1 << 14);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>actlab steer sweep \u2013 ").append(esc(model))
                .append("</title>\n<style>").append(HtmlReport.css()).append("</style></head><body>\n<h1>actlab steer sweep</h1>\n<div class=\"meta\">model <code>")
                .append(esc(model)).append("</code> \u00b7 vector <code>").append(esc(r.vector().source())).append("</code> at blocks.N.hook_resid_post, layers ")
                .append(r.layerRange()[0]).append("\u2013").append(r.layerRange()[1]).append(" \u00b7 effect <code>").append(esc(r.effect().spec()))
                .append("</code> on ").append(r.prompts().size()).append(r.prompts().size() == 1 ? " prompt" : " prompts").append(" \u00b7 neutral text ")
                .append(r.neutralTokens()).append(" tokens</div>\n");
        h.append("<p class=\"rule\">Each strength s adds s \u00d7 direction.N to the output of layer N (llama.cpp's <code>--control-vector-scaled FILE:s</code>). ")
                .append("Effect: the metric at the last position of each prompt, averaged. Side effect: KL(unsteered \u2016 steered) per position of the neutral text ")
                .append("and its perplexity (as <code>actlab ppl --kl-base</code> computes them). Unsteered: effect ")
                .append(esc(String.format(Locale.ROOT, "%.4g", r.baseEffect()))).append(", perplexity ").append(esc(String.format(Locale.ROOT, "%.3f", r.basePerplexity()))).append(".</p>\n");
        SteeringSweep.Point[] best = r.withinBudget(klBudget);
        h.append("<ul class=\"findings\">");
        for (int i = 0; i < 2; i++) {
            String side = i == 0 ? "negative" : "positive";
            if (best[i] == null) h.append("<li>").append(esc("no " + side + " strength stays within a mean KL of " + klBudget + " nats")).append("</li>");
            else h.append("<li>").append(esc(String.format(Locale.ROOT, "strongest %s strength within a mean KL of %s nats: %s (effect %.4g, KL %.4f, perplexity %.3f)",
                    side, klBudget, strength(best[i].strength()), best[i].effect(), best[i].meanKl(), best[i].perplexity()))).append("</li>");
        }
        h.append("</ul>\n");
        CurveChart tradeoff = new CurveChart("effect against side effect (labels: strength)", "mean KL to the unsteered model (nats/token)", "effect");
        for (SteeringSweep.Point p : pts) tradeoff.add(p.strength() < 0 ? "strength < 0" : "strength \u2265 0", p.meanKl(), p.effect(), strength(p.strength()));
        for (SteeringSweep.Point p : pts) if (p.strength() == 0) tradeoff.add("strength < 0", p.meanKl(), p.effect(), "");   // join the two halves at 0
        tradeoff.markX(klBudget, "KL budget " + klBudget);
        h.append(tradeoff.svg(900, 460));
        List<String> cats = new ArrayList<>();
        double[] eff = new double[pts.size()], kl = new double[pts.size()], ppl = new double[pts.size()];
        for (int i = 0; i < pts.size(); i++) {
            cats.add(strength(pts.get(i).strength()));
            eff[i] = pts.get(i).effect(); kl[i] = pts.get(i).meanKl(); ppl[i] = pts.get(i).perplexity();
        }
        h.append(new LineChart("effect against strength", "strength", "effect", cats, false).add("effect", eff).svg(900, 340));
        h.append(new LineChart("side effects against strength", "strength", "nats / perplexity", cats, true).add("mean KL", kl).add("neutral perplexity", ppl).svg(900, 340));
        h.append("<h2>Continuations</h2>\n<table><tr><th>strength</th><th>effect</th><th>mean KL</th><th>prompt</th><th>continuation</th></tr>\n");
        for (SteeringSweep.Point p : pts)
            for (int q = 0; q < r.prompts().size(); q++)
                for (String sample : p.samples().get(q))
                    h.append("<tr><td>").append(esc(strength(p.strength()))).append("</td><td>").append(esc(String.format(Locale.ROOT, "%.4g", p.effectPerPrompt()[q])))
                            .append("</td><td>").append(esc(String.format(Locale.ROOT, "%.4f", p.meanKl()))).append("</td><td>").append(esc(r.prompts().get(q)))
                            .append("</td><td>").append(esc(sample)).append("</td></tr>\n");
        return h.append("</table>\n</body></html>\n").toString();
    }
}
