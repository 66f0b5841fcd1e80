package dev.actlab.sae;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.Progress;
import dev.actlab.io.chart.ColorScale;
import dev.actlab.model.hook.Activation;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.tensor.Parallel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Feature contexts coloured token by token. With the identity SAE (latent j = relu(x_j), latent d + j =
 * relu(-x_j)), each context value is known without the SAE: relu of channel j of the residual stream
 * at that token, read from a cached run of the same window.
 */
class FeatureDashboardTest {
    @Test void contextValuesAreTheFeaturesActivationAtEveryToken() throws Exception {
        LlamaModel brown = ModelLoader.loadDecoder(Path.of("models/actlab-brown.gguf"));
        int[] text = brown.tokenizer().encode(SaeEvalTest.TEXT, false);
        int d = brown.dModel(), ctx = 32, body = ctx - 1;
        Sae sae = SaeEvalTest.identity(d);
        SaeEval.Result r = SaeEval.evaluate(brown, sae, text, ctx, 100, new Parallel(1), Progress.NONE);
        int checked = 0, outside = 0;
        for (int j : new int[]{0, 7, 50, d + 3, d + 100}) {
            int channel = j % d;
            float sign = j < d ? 1 : -1;
            for (SaeEval.Example e : r.top().get(j)) {
                int w = e.token() / body;
                int[] win = new int[ctx];
                win[0] = brown.tokenizer().bosId();
                System.arraycopy(text, w * body, win, 1, body);
                Activation a = brown.runWithCache(win, SaeEvalTest.SITE::equals).get(SaeEvalTest.SITE);
                assertEquals(SaeEval.CONTEXT_BEFORE + SaeEval.CONTEXT_AFTER, e.context().length);
                for (int k = 0; k < e.context().length; k++) {
                    int t = e.contextStart() + k;
                    if (t < w * body || t >= (w + 1) * body) { assertTrue(Float.isNaN(e.context()[k]), "outside the window"); outside++; continue; }
                    float x = a.get(t - w * body + 1, channel);
                    assertEquals(Math.max(0, sign * x), e.context()[k], 1e-5, "latent " + j + ", token " + t);
                    checked++;
                }
                assertEquals(e.value(), e.context()[SaeEval.CONTEXT_BEFORE], 0f, "the example's own token");
            }
        }
        assertTrue(checked > 200 && outside > 0, checked + " values checked, " + outside + " outside a window");

        String html = FeatureDashboard.html(sae, r, brown.tokenizer(), text, 3);
        int shown = 0;
        for (int f = 0; f < sae.dSae() && shown < 3; f++) { if (!html.contains("id=\"f" + f + "\"")) continue; shown++; }
        assertEquals(3, shown);
        assertTrue(html.contains("<span class=\"t at\""), "the activating token is outlined");
        // each example's activating token has the colour of its value on its feature's scale
        int f = Integer.parseInt(html.replaceFirst("(?s).*?<h2 id=\"f(\\d+)\".*", "$1"));
        SaeEval.Example top = r.top().get(f).get(0);
        String colour = ColorScale.sequential(0, top.value()).color(top.value());
        assertTrue(html.contains("<span class=\"t at\" style=\"background:" + colour), "top example of feature " + f + " in " + colour);
        assertFalse(html.contains("\uFFFD"));
    }

    /**
     * With the identity SAE, feature d + j's decoder row is -e_j: its logit effect is minus column j of
     * the unembedding, read here row by row from the tied embedding; its histogram holds one count per
     * token where channel j of the residual stream is negative.
     */
    @Test void histogramsAndLogitEffectsMatchADirectComputation() throws Exception {
        LlamaModel brown = ModelLoader.loadDecoder(Path.of("models/actlab-brown.gguf"));
        int[] text = brown.tokenizer().encode(SaeEvalTest.TEXT, false);
        int d = brown.dModel(), ctx = 32, body = ctx - 1, windows = text.length / body, j = 5, f = d + j;
        Sae sae = SaeEvalTest.identity(d);
        SaeEval.Result r = SaeEval.evaluate(brown, sae, text, ctx, 100, new Parallel(1), Progress.NONE);
        int negative = 0;
        for (int w = 0; w < windows; w++) {
            Activation a = brown.runWithCache(SaeEvalTest.window(w, ctx, brown.tokenizer().bosId()), SaeEvalTest.SITE::equals).get(SaeEvalTest.SITE);
            for (int t = 1; t < ctx; t++) if (a.get(t, j) < 0) negative++;
        }
        assertTrue(negative > 0);
        assertEquals(negative, java.util.Arrays.stream(r.histograms().get(f).counts()).sum(), "one count per non-zero activation");
        assertEquals(SaeEval.HISTOGRAM_BINS, r.histograms().get(f).counts().length);

        dev.actlab.tensor.WeightMatrix unembed = brown.weights().output();
        int V = unembed.rows();
        float[] direct = new float[V], row = new float[d];
        for (int t = 0; t < V; t++) { unembed.dequantizeRow(t, row, 0); direct[t] = -row[j]; }
        Integer[] order = new Integer[V];
        for (int t = 0; t < V; t++) order[t] = t;
        java.util.Arrays.sort(order, (x, y) -> Float.compare(direct[y], direct[x]));
        LogitEffect e = LogitEffect.of(sae, f, unembed, 10, new Parallel(2));
        for (int k = 0; k < 10; k++) {
            assertEquals(direct[order[k]], e.promotedValues()[k], 1e-4, "promoted #" + k);
            assertEquals(direct[e.promoted()[k]], e.promotedValues()[k], 1e-4);
            assertEquals(direct[order[V - 1 - k]], e.suppressedValues()[k], 1e-4, "suppressed #" + k);
            assertEquals(direct[e.suppressed()[k]], e.suppressedValues()[k], 1e-4);
        }
        String html = FeatureDashboard.html(sae, r, brown.tokenizer(), text, 2 * d, unembed, new Parallel(1));
        assertTrue(html.contains("class=\"hist\"") && html.contains("promotes:") && html.contains("suppresses:"));
    }
}
