package dev.actlab.inspect;

import dev.actlab.io.chart.Svg;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The findings of a report in a few plain sentences, for the terminal and the top of the HTML page. */
public final class FindingsSummary {
    private FindingsSummary() {}

    public static List<String> lines(InspectReport r) {
        List<String> out = new ArrayList<>();
        var ma = r.massiveActivations().summary();
        if (ma.count() == 0) {
            out.add(String.format(Locale.ROOT, "massive activations: none (|x| > %s and > %s x row median)",
                    Svg.num(r.options().massiveAbs()), Svg.num(r.options().massiveRatio())));
        } else {
            out.add(String.format(Locale.ROOT, "massive activations: %d scalars at %d position(s); on first token %d, delimiters %d, other tokens %d; channels %s; layers %s",
                    ma.count(), ma.distinctPositions(), ma.onFirstToken(), ma.onDelimiters(), ma.onOtherTokens(), ma.byChannel().keySet(), ma.byLayer().keySet()));
            float top = 0;
            MassiveActivations.Finding best = null;
            for (var f : r.massiveActivations().findings()) if (Math.abs(f.value()) > top) { top = Math.abs(f.value()); best = f; }
            if (best != null)
                out.add(String.format(Locale.ROOT, "  largest: %s at layer %d, position %d (token %s), channel %d",
                        Svg.num(best.value()), best.layer(), best.position(), tokenLabel(best.tokenId(), best.token()), best.channel()));
        }
        var oc = r.outlierChannels().findings();
        if (oc.isEmpty()) out.add(String.format(Locale.ROOT, "outlier channels (LLM.int8, |x| >= %s): none", Svg.num(r.options().outlierThreshold())));
        else {
            List<String> cs = new ArrayList<>();
            for (var f : oc) cs.add(f.channel() + " (" + Svg.pct(f.layerFraction()) + " of layers, max|x| " + Svg.num(f.maxAbs()) + ")");
            out.add("outlier channels (LLM.int8, |x| >= " + Svg.num(r.options().outlierThreshold()) + "): " + String.join(", ", cs));
        }
        double[][] mass = r.attentionSinks().mass();
        if (mass.length > 0) {
            StringBuilder b = new StringBuilder("attention on the first position (mean over heads, per layer):");
            for (int l = 0; l < mass.length; l++) {
                double s = 0; int n = 0;
                for (double v : mass[l]) if (!Double.isNaN(v)) { s += v; n++; }
                b.append(' ').append(n == 0 ? "\u2013" : Svg.pct(s / n));
            }
            out.add(b.toString());
        }
        if (!r.sparsity().layers().isEmpty()) {
            StringBuilder b = new StringBuilder("MLP activation sparsity (|x| < " + Svg.num(r.options().eps()) + ") per layer:");
            for (var l : r.sparsity().layers()) b.append(' ').append(Svg.pct(l.nearZeroFraction()));
            b.append("; exact zeros:");
            for (var l : r.sparsity().layers()) b.append(' ').append(Svg.pct(l.zeroFraction()));
            out.add(b.toString());
        }
        SiteStats.Report worst = null;
        for (var s : r.sites()) if (s.site().endsWith("hook_resid_post") && (worst == null || s.all().maxAbs() > worst.all().maxAbs())) worst = s;
        if (worst != null)
            out.add("residual stream: largest |x| " + Svg.num(worst.all().maxAbs()) + " at " + worst.site() + " (excess kurtosis " + Svg.num(worst.all().kurtosis()) + ")");
        if (r.logitLens() != null && !r.logitLens().positions().isEmpty()) {
            var last = r.logitLens().positions().get(r.logitLens().positions().size() - 1);
            StringBuilder b = new StringBuilder("logit lens at the last position (" + tokenLabel(last.tokenId(), last.token()) + "), top-1 per layer:");
            for (var l : last.layers()) {
                var p = l.top().get(0);
                b.append(' ').append(tokenLabel(p.tokenId(), p.token())).append(String.format(Locale.ROOT, " (%.2f)", p.prob()));
            }
            out.add(b.toString());
        }
        return out;
    }

    private static String tokenLabel(int id, String piece) { return TokenText.display(id, piece); }
}
