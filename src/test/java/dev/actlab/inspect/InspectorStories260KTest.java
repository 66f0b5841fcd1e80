package dev.actlab.inspect;

import dev.actlab.model.hook.HookSite;


import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.ActivationCache;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.testutil.Shared;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The inspection of stories260K against plain computations over the tensors cached by runWithCache. */
class InspectorStories260KTest {

    static LlamaModel model() throws Exception { return Llama2cReader.read(Shared.stories260K()); }

    static int[] tokens() throws Exception { return Shared.tokens(Shared.require("reference/stories260K/greedy64.tokens.txt")); }

    /** The activations of every chunk the inspector runs, concatenated per site along positions. */
    static ActivationCache chunkedCache(LlamaModel m, int[] tokens, int ctx) {
        ActivationCache all = new ActivationCache();
        for (int start = 0; start < tokens.length; start += ctx) {
            int[] chunk = Arrays.copyOfRange(tokens, start, Math.min(tokens.length, start + ctx));
            m.run(chunk, new Hooks().add(n -> true, all));
        }
        return all;
    }

    @ParameterizedTest(name = "ctx {0}")
    @ValueSource(ints = {0, 24})
    void siteStatisticsEqualATwoPassComputationOverTheCachedTensors(int ctx) throws Exception {
        LlamaModel m = model();
        int[] tokens = tokens();
        InspectOptions o = InspectOptions.defaults().withCtx(ctx);
        InspectReport r = Inspector.inspect(m, tokens, o, null);
        int effectiveCtx = ctx == 0 ? m.config().contextLength() : ctx;
        assertEquals((tokens.length + effectiveCtx - 1) / effectiveCtx, r.input().chunks());
        ActivationCache cache = chunkedCache(m, tokens, effectiveCtx);

        List<String> expectedSites = m.sites().names().stream().filter(Inspector.STATS_SITES).toList();
        assertEquals(Set.copyOf(expectedSites), Set.copyOf(r.sites().stream().map(SiteStats.Report::site).toList()));
        for (String site : expectedSites) {
            Activation a = cache.get(site);
            int c = a.shape[a.shape.length - 1], rows = a.size() / c;
            SiteStats.Report rep = r.site(site);
            assertEquals(a.shape[0], rep.rows(), site);
            for (int ch = 0; ch < c; ch++) {
                TwoPass ref = TwoPass.of(a.data, ch, rows, c, o.eps());
                SiteStats.ChannelTable t = rep.channels();
                String where = site + " channel " + ch;
                assertEquals(ref.mean(), t.mean()[ch], 1e-6 * Math.max(1, Math.abs(ref.mean())), where);
                assertEquals(ref.std(), t.std()[ch], 1e-5 * Math.max(1e-3, ref.std()), where);
                assertEquals(ref.maxAbs(), t.maxAbs()[ch], where);
                assertEquals(ref.min(), t.min()[ch], where);
                assertEquals(ref.max(), t.max()[ch], where);
                if (!Double.isNaN(ref.kurtosis())) assertEquals(ref.kurtosis(), t.kurtosis()[ch], 1e-4 * Math.max(1, Math.abs(ref.kurtosis())), where);
                assertEquals((double) ref.zeros() / rows, t.zeroFraction()[ch], 1e-7, where);
                assertEquals((double) ref.nearZeros() / rows, t.nearZeroFraction()[ch], 1e-7, where);
                float[] col = new float[rows];
                for (int row = 0; row < rows; row++) col[row] = a.data[row * c + ch];
                Arrays.sort(col);
                for (var q : t.quantiles().entrySet()) {
                    double p = Double.parseDouble(q.getKey().substring(1)) / 100, v = q.getValue()[ch], tol = 1.0 / rows + 0.025;
                    // t-digest (compression 100) is coarsest at the median (rank error up to ~2% on a few hundred values), finer in the tails
                    double below = ChannelStatsTest.countBelow(col, v) / (double) rows, upTo = ChannelStatsTest.countBelowOrEqual(col, v) / (double) rows;
                    assertTrue(below <= p + tol && upTo >= p - tol, where + " " + q.getKey() + " = " + v + " at ranks [" + below + ", " + upTo + "]");
                }
            }
            TwoPass all = TwoPass.of(a.data, 0, a.size(), 1, o.eps());
            assertEquals(all.count(), rep.all().count(), site);
            assertEquals(all.mean(), rep.all().mean(), 1e-9 * Math.max(1, Math.abs(all.mean())), site);
            assertEquals(all.std(), rep.all().std(), 1e-9 * Math.max(1e-3, all.std()), site);
            assertEquals(all.kurtosis(), rep.all().kurtosis(), 1e-7 * Math.max(1, Math.abs(all.kurtosis())), site);
            assertEquals(all.maxAbs(), rep.all().maxAbs(), site);
            // quantiles (t-digest, merged from the channels' digests): the estimate sits at a rank within 1% of p
            float[] sorted = a.toArray();
            Arrays.sort(sorted);
            for (var q : rep.all().quantiles().entrySet()) {
                double p = Double.parseDouble(q.getKey().substring(1)) / 100, v = q.getValue();
                double below = ChannelStatsTest.countBelow(sorted, v) / (double) sorted.length, upTo = ChannelStatsTest.countBelowOrEqual(sorted, v) / (double) sorted.length;
                assertTrue(below <= p + 0.01 && upTo >= p - 0.01, site + " " + q.getKey() + " = " + v + " at ranks [" + below + ", " + upTo + "]");
            }
        }
    }

    @Test
    void aPlantedActivationIsReportedWhereItLivesInTheResidualStream() throws Exception {
        LlamaModel m = model();
        int[] tokens = tokens();
        int layer = 2, pos = 10, channel = 7;
        String site = "blocks." + layer + ".hook_resid_post";
        InspectReport clean = Inspector.inspect(m, tokens, InspectOptions.defaults(), null);
        assertEquals(0, clean.massiveActivations().summary().count(), "stories260K has no massive activation of its own");

        InspectReport planted = Inspector.inspect(m, tokens, InspectOptions.defaults(),
                h -> h.add(site, a -> a.set(5000f, pos, channel)), null);
        // The residual stream carries the planted value on: blocks 3 and 4 add their outputs to it at the
        // same position and channel. hook_resid_pre of block 3 is the same tensor but is not a site the
        // rule reads, and other positions see it only through normalized (bounded) attention inputs.
        ActivationCache cache = m.runWithCache(tokens, n -> true);
        ActivationCache plantedCache = new ActivationCache();
        m.run(tokens, new Hooks().add(site, a -> a.set(5000f, pos, channel)).add(n -> true, plantedCache));
        List<MassiveActivations.Finding> found = planted.massiveActivations().findings();
        Set<List<Integer>> where = new HashSet<>();
        for (var f : found) where.add(List.of(f.layer(), f.position(), f.channel()));
        Set<List<Integer>> expected = new HashSet<>();
        for (int l = layer; l < m.layers(); l++) expected.add(List.of(l, pos, channel));
        assertEquals(expected, where);
        for (var f : found) {
            float cached = plantedCache.get("blocks." + f.layer() + ".hook_resid_post").get(pos, channel);
            assertEquals(cached, f.value(), "value at layer " + f.layer());
            assertEquals(tokens[pos], f.tokenId());
            if (f.layer() == layer) assertEquals(5000f, f.value());
        }
        assertEquals(1, planted.massiveActivations().summary().distinctPositions());
        assertEquals(m.layers() - layer, planted.massiveActivations().summary().onOtherTokens() + planted.massiveActivations().summary().onDelimiters());
        assertEquals(0, planted.massiveActivations().summary().onFirstToken());
        assertNotEquals(cache.get("blocks.3.hook_resid_post").get(pos, channel), plantedCache.get("blocks.3.hook_resid_post").get(pos, channel));
    }

    @Test
    void aReplaceHookChangesEverythingDownstreamAndNothingUpstream() throws Exception {
        LlamaModel m = model();
        int[] tokens = tokens();
        String target = "blocks.2.hook_resid_post";
        ActivationCache before = new ActivationCache();
        float[] logitsBefore = m.runWithHooks(tokens, new Hooks().add(n -> true, before));
        ActivationCache after = new ActivationCache();
        Hooks replace = new Hooks().add(target, a -> { for (int t = 0; t < a.shape[0]; t++) a.set(a.get(t, 0) + 1f, t, 0); })
                .add(n -> true, after);
        float[] logitsAfter = m.runWithHooks(tokens, replace);
        assertFalse(Arrays.equals(logitsBefore, logitsAfter), "logits must change");
        int checkedUp = 0, checkedDown = 0;
        for (String site : m.sites().names()) {
            int l = HookSite.layerOf(site);
            boolean upstream = site.equals("hook_embed") || (l >= 0 && l < 2) || (l == 2 && !site.equals(target));
            float[] b = before.get(site).toArray(), a = after.get(site).toArray();
            if (upstream) { assertArrayEquals(b, a, site + " is upstream of the replacement"); checkedUp++; }
            else { assertFalse(Arrays.equals(b, a), site + " is downstream of the replacement"); checkedDown++; }
        }
        assertTrue(checkedUp > 20 && checkedDown > 20, checkedUp + " upstream, " + checkedDown + " downstream sites");
    }

    @Test
    void logitLensAtTheLastLayerEqualsTheModelsLogits() throws Exception {
        LlamaModel m = model();
        int[] tokens = tokens();
        InspectOptions o = new InspectOptions(0, 1e-3f, 100, 100, 1000, 1000, 6, 0.25, 0.06, tokens.length, 5, false);
        InspectReport r = Inspector.inspect(m, tokens, o, null);
        float[] logits = m.runWithHooks(tokens, Hooks.none());
        int V = m.config().vocabSize();
        assertEquals(tokens.length, r.logitLens().positions().size());
        for (LogitLens.Position p : r.logitLens().positions()) {
            assertEquals(m.layers(), p.layers().size());
            LogitLens.LayerView lastLayer = p.layers().get(m.layers() - 1);
            int[] order = argsortDescending(logits, p.position() * V, V);
            double z = 0, max = logits[p.position() * V + order[0]];
            for (int v = 0; v < V; v++) z += Math.exp(logits[p.position() * V + v] - max);
            for (int k = 0; k < 5; k++) {
                LogitLens.Prediction pred = lastLayer.top().get(k);
                assertEquals(order[k], pred.tokenId(), "position " + p.position() + " rank " + k);
                assertEquals(logits[p.position() * V + order[k]], pred.logit(), "position " + p.position() + " rank " + k);
                assertEquals(Math.exp(pred.logit() - max) / z, pred.prob(), 1e-12);
            }
            if (p.nextTokenId() != null) {
                int next = p.nextTokenId();
                assertEquals(tokens[p.position() + 1], next);
                int rank = 0;
                for (int v = 0; v < V; v++) if (order[v] == next) rank = v;
                assertEquals(rank, lastLayer.nextTokenRank());
            }
        }
        // greedy64 is the model's own greedy continuation: the top-1 at the last layer is the next token
        for (LogitLens.Position p : r.logitLens().positions())
            if (p.nextTokenId() != null) assertEquals(0, p.layers().get(m.layers() - 1).nextTokenRank());
    }

    @Test
    void attentionSinksSparsityAndOutlierChannelsMatchTheCachedTensors() throws Exception {
        LlamaModel m = model();
        int[] tokens = tokens();
        float threshold = 2f;
        InspectOptions o = new InspectOptions(0, 1e-2f, 100, 100, 1000, 1000, threshold, 0.25, 0.06, 4, 5, false);
        InspectReport r = Inspector.inspect(m, tokens, o, null);
        ActivationCache cache = m.runWithCache(tokens, n -> true);
        int L = m.layers(), n = tokens.length, d = m.dModel();

        for (int l = 0; l < L; l++) {
            Activation p = cache.get("blocks." + l + ".attn.hook_pattern");  // [heads, n, n]
            for (int h = 0; h < p.shape[0]; h++) {
                double sum = 0;
                for (int q = 1; q < n; q++) sum += p.get(h, q, 0);
                assertEquals(sum / (n - 1), r.attentionSinks().mass()[l][h], 1e-6, "layer " + l + " head " + h);
            }
            Activation post = cache.get("blocks." + l + ".mlp.hook_post");
            TwoPass ref = TwoPass.of(post.data, 0, post.size(), 1, o.eps());
            Sparsity.Layer s = r.sparsity().layers().get(l);
            assertEquals(l, s.layer());
            assertEquals((double) ref.zeros() / post.size(), s.zeroFraction(), 1e-12);
            assertEquals((double) ref.nearZeros() / post.size(), s.nearZeroFraction(), 1e-12);
        }

        List<Integer> expected = new ArrayList<>();
        for (int c = 0; c < d; c++) {
            int affected = 0;
            for (int l = 0; l < L; l++) {
                boolean hit = false;
                for (String suffix : List.of("hook_resid_pre", "hook_resid_mid")) {
                    Activation a = cache.get("blocks." + l + "." + suffix);
                    int count = 0;
                    for (int t = 0; t < n; t++) if (Math.abs(a.get(t, c)) >= threshold) count++;
                    if (count >= 0.06 * n) hit = true;
                }
                if (hit) affected++;
            }
            if (affected >= 0.25 * L) expected.add(c);
        }
        assertFalse(expected.isEmpty() || expected.size() == d, "the threshold should separate channels: " + expected);
        assertEquals(expected, r.outlierChannels().findings().stream().map(OutlierChannels.Finding::channel).toList());
    }

    @Test
    void anyHookedModelCanBeInspectedWithoutTheLogitLens() throws Exception {
        LlamaModel m = model();
        // seen only through the HookedModel interface, as an encoder would be: no unembedding to lens with
        HookedModel opaque = new HookedModel() {
            public String source() { return "opaque:" + m.source(); }
            public String architecture() { return "opaque"; }
            public int layers() { return m.layers(); }
            public int dModel() { return m.dModel(); }
            public int contextLength() { return m.contextLength(); }
            public int vocabSize() { return m.vocabSize(); }
            public dev.actlab.model.hook.SiteTable sites() { return m.sites(); }
            public dev.actlab.model.tokenizer.Tokenizer tokenizer() { return null; }
            public void run(int[] tokens, Hooks hooks) { m.run(tokens, hooks); }
        };
        int[] tokens = tokens();
        InspectReport viaInterface = Inspector.inspect(opaque, tokens, InspectOptions.defaults(), null);
        InspectReport direct = Inspector.inspect(m, tokens, InspectOptions.defaults(), null);
        assertNull(viaInterface.logitLens());
        assertTrue(viaInterface.notes().stream().anyMatch(n -> n.startsWith("logit lens: not available")), viaInterface.notes().toString());
        assertEquals(512, viaInterface.input().ctx());
        assertEquals(direct.sites().size(), viaInterface.sites().size());
        for (int i = 0; i < direct.sites().size(); i++) assertEquals(direct.sites().get(i).all(), viaInterface.sites().get(i).all());
        assertTrue(HtmlReport.render(viaInterface).contains("Not available for this model"));
    }

    @Test
    void theReportIsBitIdenticalWithOneAndTwoThreads() throws Exception {
        int[] tokens = tokens();
        try (dev.actlab.tensor.Parallel one = new dev.actlab.tensor.Parallel(1); dev.actlab.tensor.Parallel two = new dev.actlab.tensor.Parallel(2)) {
            InspectReport a = Inspector.inspect(model().withParallel(one), tokens, InspectOptions.defaults().withCtx(24), null);
            InspectReport b = Inspector.inspect(model().withParallel(two), tokens, InspectOptions.defaults().withCtx(24), null);
            // everything but the elapsed time
            assertEquals(Report.json(a).replaceAll("\"seconds\" : [0-9.eE-]+", ""), Report.json(b).replaceAll("\"seconds\" : [0-9.eE-]+", ""));
        }
    }

    static int[] argsortDescending(float[] v, int off, int len) {
        Integer[] idx = new Integer[len];
        for (int i = 0; i < len; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> v[off + a] != v[off + b] ? Float.compare(v[off + b], v[off + a]) : Integer.compare(a, b));
        return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
    }
}
