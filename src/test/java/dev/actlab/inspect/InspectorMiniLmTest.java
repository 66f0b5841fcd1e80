package dev.actlab.inspect;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.bert.BertModel;
import dev.actlab.model.onnx.MiniLm;
import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.ActivationCache;
import dev.actlab.model.hook.Hooks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The inspection of all-MiniLM-L6-v2 (a post-LN BERT encoder) against plain computations over its cached tensors. */
class InspectorMiniLmTest {
    static BertModel m;
    static int[] tokens;

    @BeforeAll
    static void load() throws Exception {
        m = MiniLm.load();
        tokens = m.tokenizer().encode("The Eiffel Tower, finished in 1889, is in Paris; millions visit it every year.", true);
    }

    @Test
    void siteStatisticsEqualATwoPassComputationOverTheCachedTensors() {
        InspectOptions o = InspectOptions.defaults();
        InspectReport r = Inspector.inspect(m, tokens, o, null);
        ActivationCache cache = m.runWithCache(tokens, n -> true);
        List<String> sites = m.sites().names().stream().filter(Inspector.STATS_SITES).toList();
        assertFalse(sites.isEmpty());
        for (String site : sites) {
            Activation a = cache.get(site);
            int c = a.shape[a.shape.length - 1], rows = a.size() / c;
            SiteStats.ChannelTable t = r.site(site).channels();
            for (int ch = 0; ch < c; ch++) {
                TwoPass ref = TwoPass.of(a.data, ch, rows, c, o.eps());
                String where = site + " channel " + ch;
                assertEquals(ref.mean(), t.mean()[ch], 1e-6 * Math.max(1, Math.abs(ref.mean())), where);
                assertEquals(ref.std(), t.std()[ch], 1e-5 * Math.max(1e-3, ref.std()), where);
                assertEquals(ref.maxAbs(), t.maxAbs()[ch], where);
                if (!Double.isNaN(ref.kurtosis())) assertEquals(ref.kurtosis(), t.kurtosis()[ch], 1e-4 * Math.max(1, Math.abs(ref.kurtosis())), where);
            }
        }
    }

    @Test
    void massiveActivationsAreExactlyWhatTheRuleFindsInTheCachedResidualStream() {
        InspectReport r = Inspector.inspect(m, tokens, InspectOptions.defaults(), null);
        ActivationCache cache = m.runWithCache(tokens, n -> n.endsWith("hook_resid_post"));
        assertEquals(bruteForce(cache, 100, 1000), found(r));
    }

    @Test
    void aPlantedActivationIsFoundAtItsLayerPositionAndChannel() {
        int layer = 2, pos = 5, channel = 7;
        String site = "blocks." + layer + ".hook_resid_post";
        InspectReport r = Inspector.inspect(m, tokens, InspectOptions.defaults(), h -> h.add(site, a -> a.set(5000f, pos, channel)), null);
        ActivationCache planted = new ActivationCache();
        m.run(tokens, new Hooks().add(site, a -> a.set(5000f, pos, channel)).add(n -> n.endsWith("hook_resid_post"), planted));
        Set<List<Integer>> found = found(r);
        assertTrue(found.contains(List.of(layer, pos, channel)), "planted value reported: " + found);
        assertEquals(bruteForce(planted, 100, 1000), found);
        var f = r.massiveActivations().findings().stream().filter(x -> x.layer() == layer && x.position() == pos && x.channel() == channel).findFirst().orElseThrow();
        assertEquals(5000f, f.value());
        assertEquals(tokens[pos], f.tokenId());
    }

    private static Set<List<Integer>> found(InspectReport r) {
        Set<List<Integer>> s = new HashSet<>();
        for (var f : r.massiveActivations().findings()) s.add(List.of(f.layer(), f.position(), f.channel()));
        return s;
    }

    /** |x| > abs and > ratio x median |x| of its row, over every cached blocks.L.hook_resid_post. */
    private static Set<List<Integer>> bruteForce(ActivationCache cache, float abs, float ratio) {
        Set<List<Integer>> s = new HashSet<>();
        for (int l = 0; l < m.layers(); l++) {
            Activation a = cache.get("blocks." + l + ".hook_resid_post");
            int d = a.shape[1];
            for (int p = 0; p < a.shape[0]; p++) {
                float[] row = new float[d];
                for (int i = 0; i < d; i++) row[i] = Math.abs(a.get(p, i));
                float[] sorted = row.clone();
                Arrays.sort(sorted);
                double median = d % 2 == 1 ? sorted[d / 2] : (sorted[d / 2 - 1] + sorted[d / 2]) / 2.0;
                for (int i = 0; i < d; i++) if (row[i] > abs && row[i] > ratio * median) s.add(new ArrayList<>(List.of(l, p, i)));
            }
        }
        return s;
    }
}
