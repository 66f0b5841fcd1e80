package dev.actlab.sae;

import dev.actlab.io.AtomicFile;
import dev.actlab.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A self-contained HTML page of an SAE's features on a text: per feature, its density and its
 * top-activating contexts, the activating token shaded by its value relative to the feature's
 * maximum. Features are listed by density (rarest first), dead ones left out.
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
                .append(".ctx{font-family:ui-monospace,monospace;white-space:pre-wrap;margin:.1em 0}.v{color:#666;display:inline-block;width:5em}")
                .append("input{font-size:1em;width:20em}</style></head><body>\n");
        b.append(String.format(Locale.ROOT, "<h1>%s, %s, d_sae %d</h1><p>%d tokens: L0 %.2f, FVU %.4f, CE loss recovered %.4f, dead %.3f. %d features shown, rarest first.</p>\n",
                esc(sae.cfg.hookName()), sae.cfg.architecture().cliName(), sae.dSae(), r.rows(), r.l0(), r.fvu(), r.ceRecovered(), r.deadFraction(), feats.size()));
        b.append("<p>Search by token: <input id=\"q\" oninput=\"for(const d of document.querySelectorAll('.f'))d.style.display=!this.value||d.dataset.t.includes(this.value)?'':'none'\"></p>\n");
        for (int f : feats) {
            List<SaeEval.Example> ex = r.top().get(f);
            float max = ex.get(0).value();
            StringBuilder toks = new StringBuilder(), body = new StringBuilder();
            for (SaeEval.Example e : ex) {
                int at = e.token(), from = Math.max(0, at - 8), to = Math.min(tokens.length, at + 4);
                body.append(String.format(Locale.ROOT, "<div class=\"ctx\"><span class=\"v\">%.3f</span>", e.value()));
                for (int t = from; t < to; t++) {
                    String piece = esc(tok.decode(new int[]{tokens[t]}));
                    if (t == at) {
                        body.append(String.format(Locale.ROOT, "<b style=\"background:rgba(255,120,0,%.2f)\">", 0.15 + 0.85 * e.value() / max)).append(piece).append("</b>");
                        toks.append(piece).append(' ');
                    } else body.append(piece);
                }
                body.append("</div>\n");
            }
            b.append("<div class=\"f\" data-t=\"").append(toks.toString().replace("\"", "&quot;")).append("\">");
            b.append(String.format(Locale.ROOT, "<h2 id=\"f%d\">feature %d: fires on %.3f%% of tokens, max %.3f</h2>\n", f, f, 100 * r.density()[f], max));
            b.append(body).append("</div>\n");
        }
        b.append("</body></html>\n");
        return b.toString();
    }

    public static void write(Path file, Sae sae, SaeEval.Result r, Tokenizer tok, int[] tokens, int maxFeatures) throws IOException {
        AtomicFile.writeString(file, html(sae, r, tok, tokens, maxFeatures));
    }

    static String esc(String s) { return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"); }
}
