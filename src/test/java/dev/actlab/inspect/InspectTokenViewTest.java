package dev.actlab.inspect;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.ActivationCache;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import dev.actlab.model.onnx.MiniLm;
import java.util.List;
import org.junit.jupiter.api.Test;

/** report.html's input text: the per-token values against the residual stream read directly from a cached run. */
class InspectTokenViewTest {
    static final String TEXT = "The jury said \"wö\" in 1961.\nIt was over.";

    @Test void decoderTokensCarryTheResidualStreamsValues() throws Exception {
        LlamaModel m = ModelRef.decoder(null);
        int[] ids = m.tokenizer().encode(TEXT, true);
        InspectReport r = Inspector.inspect(m, ids, InspectOptions.defaults(), null, Progress.NONE);
        var v = r.tokenView();
        assertEquals(ids.length, v.shownTokens());
        // the text reads back from the tokens; the two bytes of ö are spelled, not replaced by U+FFFD
        String joined = String.join("", v.tokens().subList(1, ids.length));
        assertFalse(joined.contains("\uFFFD"));
        assertEquals(TEXT, joined.replace("<0xC3><0xB6>", "ö").replace("<0xC3>", "").replace("<0xB6>", "ö"));
        ActivationCache cache = m.runWithCache(ids, name -> name.endsWith("hook_resid_post"));
        var maxAbs = v.strips().get(0);
        var channel = v.strips().get(1);
        assertFalse(maxAbs.signed());
        assertTrue(channel.signed());
        // the peak layer is the one with the largest |x| anywhere, and each value is that row's max |x|
        double peak = 0;
        int peakLayer = -1;
        for (int l = 0; l < m.layers(); l++) {
            Activation a = cache.get("blocks." + l + ".hook_resid_post");
            for (int i = 0; i < a.size(); i++) if (Math.abs(a.data[a.offset + i]) > peak) { peak = Math.abs(a.data[a.offset + i]); peakLayer = l; }
        }
        assertEquals(peakLayer, maxAbs.layer());
        Activation a = cache.get("blocks." + peakLayer + ".hook_resid_post"), c = cache.get("blocks." + channel.layer() + ".hook_resid_post");
        for (int p = 0; p < ids.length; p++) {
            double row = 0;
            for (int ch = 0; ch < m.dModel(); ch++) row = Math.max(row, Math.abs(a.get(p, ch)));
            assertEquals(row, maxAbs.values()[p], 1e-6 * row, "position " + p);
            assertEquals(c.get(p, channel.channel()), channel.values()[p], 1e-6, "position " + p);
        }
        // each token's loss against the logits of a plain forward pass
        // the last layer's attention from the last position, mean over heads
        var att = v.strips().get(2);
        Activation pattern = m.runWithCache(ids, name -> name.equals("blocks." + (m.layers() - 1) + ".attn.hook_pattern")).get("blocks." + (m.layers() - 1) + ".attn.hook_pattern");
        double total = 0;
        for (int k = 0; k < ids.length; k++) {
            double mean = 0;
            for (int h = 0; h < pattern.shape[0]; h++) mean += pattern.get(h, ids.length - 1, k);
            mean /= pattern.shape[0];
            assertEquals(mean, att.values()[k], 1e-6, "key " + k);
            total += att.values()[k];
        }
        assertEquals(1.0, total, 1e-5, "a row of attention sums to 1");
        var loss = v.strips().get(3);
        assertFalse(loss.signed());
        assertTrue(Double.isNaN(loss.values()[0]), "nothing predicts the first token");
        float[] logits = m.runWithHooks(ids, dev.actlab.model.hook.Hooks.none());
        int V = m.vocabSize();
        for (int p = 1; p < ids.length; p++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int t = 0; t < V; t++) max = Math.max(max, logits[(p - 1) * V + t]);
            for (int t = 0; t < V; t++) sum += Math.exp(logits[(p - 1) * V + t] - max);
            double expected = -(logits[(p - 1) * V + ids[p]] - max - Math.log(sum));
            assertEquals(expected, loss.values()[p], 1e-4, "token " + p);
        }
        String html = HtmlReport.render(r);
        assertTrue(html.contains("<h2>Input text</h2>"));
        assertEquals(4 * ids.length, html.split("<span class=\"t", -1).length - 1, "one coloured span per token per quantity");
        assertTrue(html.contains("&lt;0xC3&gt;"), "byte tokens shown as <0xC3>");
    }

    @Test void attentionFromAChosenPositionIsThatRowOfThePattern() throws Exception {
        LlamaModel m = ModelRef.decoder(null);
        int[] ids = m.tokenizer().encode(TEXT, true);
        int from = 5;
        InspectOptions d = InspectOptions.defaults();
        InspectOptions o = new InspectOptions(d.ctx(), d.eps(), d.compression(), d.massiveAbs(), d.massiveRatio(), d.maxMassiveListed(),
                d.outlierThreshold(), d.outlierLayerFraction(), d.outlierTokenFraction(), d.lensPositions(), d.lensTopK(), d.channelTables(), from);
        var att = Inspector.inspect(m, ids, o, null, Progress.NONE).tokenView().strips().get(2);
        assertTrue(att.quantity().startsWith("attention from position " + from + " "), att.quantity());
        String site = "blocks." + (m.layers() - 1) + ".attn.hook_pattern";
        Activation pattern = m.runWithCache(ids, name -> name.equals(site)).get(site);
        double total = 0;
        for (int k = 0; k < ids.length; k++) {
            if (k > from) { assertTrue(Double.isNaN(att.values()[k]), "key " + k + " is after the query"); continue; }
            double mean = 0;
            for (int h = 0; h < pattern.shape[0]; h++) mean += pattern.get(h, from, k);
            mean /= pattern.shape[0];
            assertEquals(mean, att.values()[k], 1e-6, "key " + k);
            total += att.values()[k];
        }
        assertEquals(1.0, total, 1e-5, "a row of attention sums to 1");
    }

    @Test void encoderControlTokensKeepTheirNames() throws Exception {
        var m = MiniLm.load();
        int[] ids = m.tokenizer().encode("A cat sat.", true);
        InspectReport r = Inspector.inspect(m, ids, InspectOptions.defaults(), null, Progress.NONE);
        List<String> t = r.tokenView().tokens();
        assertEquals("[CLS]", t.get(0));
        assertEquals("[SEP]", t.get(t.size() - 1));
        assertEquals(ids.length, r.tokenView().strips().get(1).values().length);
        assertEquals(3, r.tokenView().strips().size(), "no loss for an encoder");
    }
}
