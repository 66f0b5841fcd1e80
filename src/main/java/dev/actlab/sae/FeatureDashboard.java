package dev.actlab.sae;

import dev.actlab.inspect.TokenText;
import dev.actlab.io.AtomicFile;
import dev.actlab.io.chart.ColorScale;
import dev.actlab.io.chart.TokenHeat;
import dev.actlab.model.tokenizer.Tokenizer;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;
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
 * are listed by density (rarest first), dead ones left out. Beside them, a histogram of the
 * feature's non-zero activations over the text (CSS bars) and, for a decoder, its logit effect: the
 * tokens its decoder row promotes and suppresses most through the unembedding.
 */
public final class FeatureDashboard {
    private FeatureDashboard() {}

    /** Tokens shown each way in a feature's logit effect. */
    public static final int LOGIT_TOKENS = 10;

    public static String html(Sae sae, SaeEval.Result r, Tokenizer tok, int[] tokens, int maxFeatures) {
        return html(sae, r, tok, tokens, maxFeatures, null, null);
    }

    /** tokens: the ids the evaluation ran on (without BOS); at most maxFeatures features; unembedding [vocab, d_in], or null for no logit effects. */
    public static String html(Sae sae, SaeEval.Result r, Tokenizer tok, int[] tokens, int maxFeatures, WeightMatrix unembedding, Parallel par) {
        List<Integer> feats = new ArrayList<>();
        for (int i = 0; i < sae.dSae(); i++) if (!r.top().get(i).isEmpty()) feats.add(i);
        feats.sort(Comparator.comparingDouble((Integer i) -> r.density()[i]).thenComparingInt(i -> i));
        if (feats.size() > maxFeatures) feats = feats.subList(0, maxFeatures);
        StringBuilder b = new StringBuilder();
        b.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>SAE features: ").append(esc(sae.cfg.hookName())).append("</title><style>")
                .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}h2{font-size:1em;margin:1.2em 0 .3em}")
                .append(".ex{display:flex;align-items:baseline;gap:.5em}.ex .tokens{margin:.1em 0;flex:1}.v{color:#666;display:inline-block;width:5em;font-family:ui-monospace,monospace}")
                .append(TokenHeat.CSS)
                .append(".hist{display:flex;align-items:flex-end;height:3em;gap:1px;margin:.3em 0}.hist div{background:#4a7fb5;width:.8em}")
                .append(".le{font-family:ui-monospace,monospace;font-size:.9em;margin:.2em 0}.le .up{color:#1a7f37}.le .down{color:#b42318}")
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
            b.append(histogram(r.histograms().get(f)));
            if (unembedding != null) b.append(logitEffect(LogitEffect.of(sae, f, unembedding, LOGIT_TOKENS, par), text));
            b.append(body).append(heat.legend()).append("</div>\n");
        }
        b.append("</body></html>\n");
        return b.toString();
    }

    public static void write(Path file, Sae sae, SaeEval.Result r, Tokenizer tok, int[] tokens, int maxFeatures) throws IOException {
        AtomicFile.writeString(file, html(sae, r, tok, tokens, maxFeatures));
    }

    public static void write(Path file, Sae sae, SaeEval.Result r, Tokenizer tok, int[] tokens, int maxFeatures, WeightMatrix unembedding, Parallel par) throws IOException {
        AtomicFile.writeString(file, html(sae, r, tok, tokens, maxFeatures, unembedding, par));
    }

    /** CSS bars, heights relative to the fullest bin; each bar's title gives its range and count. */
    static String histogram(SaeEval.Histogram h) {
        int most = 1;
        for (int c : h.counts()) most = Math.max(most, c);
        int bins = h.counts().length;
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "<div class=\"hist\" title=\"non-zero activations, %.3f to %.3f\">", h.lo(), h.hi()));
        for (int k = 0; k < bins; k++) {
            double from = h.lo() + k * (double) (h.hi() - h.lo()) / bins, to = h.lo() + (k + 1) * (double) (h.hi() - h.lo()) / bins;
            b.append(String.format(Locale.ROOT, "<div data-count=\"%d\" style=\"height:%.1f%%\" title=\"%.3f..%.3f: %d\"></div>",
                    h.counts()[k], 100.0 * h.counts()[k] / most, from, to, h.counts()[k]));
        }
        return b.append("</div>\n").toString();
    }

    static String logitEffect(LogitEffect e, TokenText text) {
        StringBuilder b = new StringBuilder("<div class=\"le\">promotes:");
        for (int i = 0; i < e.promoted().length; i++)
            b.append(String.format(Locale.ROOT, " <span class=\"up\">%s</span> %+.2f", esc(text.inText(e.promoted()[i])), e.promotedValues()[i]));
        b.append("<br>suppresses:");
        for (int i = 0; i < e.suppressed().length; i++)
            b.append(String.format(Locale.ROOT, " <span class=\"down\">%s</span> %+.2f", esc(text.inText(e.suppressed()[i])), e.suppressedValues()[i]));
        return b.append("</div>\n").toString();
    }

    static String esc(String s) { return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"); }
}
