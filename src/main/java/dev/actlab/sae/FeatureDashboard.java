package dev.actlab.sae;

import dev.actlab.inspect.TokenText;
import dev.actlab.io.AtomicFile;
import dev.actlab.io.chart.ColorScale;
import dev.actlab.io.chart.TokenHeat;
import dev.actlab.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A self-contained HTML page of an SAE's features on a text: per feature, its density and its
 * top-activating contexts, every token of a context coloured by the feature's activation there (the
 * activating token outlined; one white-to-blue scale per feature, from 0 to its maximum). Features
 * are listed by density (rarest first), dead ones left out.
 */
public final class FeatureDashboard {
    private FeatureDashboard() {}

    /** tokens: the ids the evaluation ran on (without BOS); at most maxFeatures features. */
    public static String html(Sae sae, SaeEval.Result r, Tokenizer tok, int[] tokens, int maxFeatures) {
        List<Integer> feats = new ArrayList<>();
        for (int i = 0; i < sae.dSae(); i++) if (!r.top().get(i).isEmpty()) feats.add(i);
        feats.sort(Comparator.comparingDouble((Integer i) -> r.density()[i]).thenComparingInt(i -> i));
        if (feats.size() > maxFeatures) feats = feats.subList(0, maxFeatures);
        StringBuilder b = new StringBuilder();
        b.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>SAE features: ").append(esc(sae.cfg.hookName())).append("</title><style>")
                .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}h2{font-size:1em;margin:1.2em 0 .3em}")
                .append(".ex{display:flex;align-items:baseline;gap:.5em}.ex .tokens{margin:.1em 0;flex:1}.v{color:#666;display:inline-block;width:5em;font-family:ui-monospace,monospace}")
                .append(TokenHeat.CSS)
                .append("input{font-size:1em;width:20em}</style></head><body>\n");
        b.append(String.format(Locale.ROOT, "<h1>%s, %s, d_sae %d</h1><p>%d tokens: L0 %.2f, FVU %.4f, CE loss recovered %.4f, dead %.3f. %d features shown, rarest first.</p>\n",
                esc(sae.cfg.hookName()), sae.cfg.architecture().cliName(), sae.dSae(), r.rows(), r.l0(), r.fvu(), r.ceRecovered(), r.deadFraction(), feats.size()));
        b.append("<p>Search by token: <input id=\"q\" oninput=\"for(const d of document.querySelectorAll('.f'))d.style.display=!this.value||d.dataset.t.includes(this.value)?'':'none'\"></p>\n");
        TokenText text = new TokenText(tok);
        for (int f : feats) {
            List<SaeEval.Example> ex = r.top().get(f);
            float max = ex.get(0).value();
            // one scale per feature, white at 0 and darkest at its largest activation, shared by its contexts
            TokenHeat heat = new TokenHeat("feature " + f + " (grey: outside the window the SAE ran on)", "activation", ColorScale.sequential(0, max));
            StringBuilder toks = new StringBuilder(), body = new StringBuilder();
            for (SaeEval.Example e : ex) {
                int from = Math.max(0, e.contextStart()), to = Math.min(tokens.length, e.contextStart() + e.context().length);
                List<String> shown = new ArrayList<>();
                double[] values = new double[to - from];
                for (int t = from; t < to; t++) { shown.add(text.inText(tokens[t])); values[t - from] = e.context()[t - e.contextStart()]; }
                body.append(String.format(Locale.ROOT, "<div class=\"ex\"><span class=\"v\">%.3f</span>", e.value()))
                        .append(heat.tokens(shown, values, from, e.token() - from)).append("</div>\n");
                toks.append(esc(text.inText(tokens[e.token()]))).append(' ');
            }
            b.append("<div class=\"f\" data-t=\"").append(toks.toString().replace("\"", "&quot;")).append("\">");
            b.append(String.format(Locale.ROOT, "<h2 id=\"f%d\">feature %d: fires on %.3f%% of tokens, max %.3f</h2>\n", f, f, 100 * r.density()[f], max));
            b.append(body).append(heat.legend()).append("</div>\n");
        }
        b.append("</body></html>\n");
        return b.toString();
    }

    public static void write(Path file, Sae sae, SaeEval.Result r, Tokenizer tok, int[] tokens, int maxFeatures) throws IOException {
        AtomicFile.writeString(file, html(sae, r, tok, tokens, maxFeatures));
    }

    static String esc(String s) { return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"); }
}
