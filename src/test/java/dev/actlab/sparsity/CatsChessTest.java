package dev.actlab.sparsity;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import dev.actlab.io.Progress;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.KvCache;
import dev.actlab.model.llama.LlamaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CATS, CHESS, WINA and TEAL thresholds against a direct computation from activations the test captures
 * through hooks of the dense model; measured sparsity on held-out text; sparsity 0 equals dense bit for bit.
 */
class CatsChessTest {
    @TempDir Path dir;

    /** Every value a hook site shows over the tokens (run in windows of the context), token-major. */
    static float[] capture(LlamaModel m, int[] tokens, String site) {
        List<float[]> parts = new ArrayList<>();
        Hooks h = new Hooks();
        h.add(site, a -> parts.add(Arrays.copyOfRange(a.data, a.offset, a.offset + a.size())));
        int ctx = m.config().contextLength();
        for (int i = 0; i < tokens.length; i += ctx) m.run(Arrays.copyOfRange(tokens, i, Math.min(tokens.length, i + ctx)), h);
        int n = parts.stream().mapToInt(p -> p.length).sum(), o = 0;
        float[] all = new float[n];
        for (float[] p : parts) { System.arraycopy(p, 0, all, o, p.length); o += p.length; }
        return all;
    }

    /** The value at rank round(q * n) of the sorted values (the quantile the thresholds are defined by). */
    static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.round(q * s.length))];
    }

    static void runText(SparseModel s, int[] tokens) {
        int ctx = s.model().config().contextLength();
        for (int i = 0; i < tokens.length; i += ctx) s.model().run(Arrays.copyOfRange(tokens, i, Math.min(tokens.length, i + ctx)), Hooks.none());
    }

    static int[] heldOut(LlamaModel m) {
        return m.tokenizer().encode(CalibrationText.resource(CalibrationText.EVALUATION), true);
    }

    @Test
    void catsThresholdIsTheQuantileOfAbsSiluGateAndReachesTheTargetOnHeldOutText() throws Exception {
        LlamaModel m = TealTest.brown();
        CalibrationText calib = CalibrationText.of(m, null, 1024);
        Thresholds th = SparsitySpec.calibrate("cats", m, calib, 0.5, Progress.NONE);
        assertEquals(m.config().layers(), th.sites().size(), "cats thresholds one site per layer");
        for (int l = 0; l < m.config().layers(); l++) {
            float[] g = capture(m, calib.tokens(), HookSite.MLP_PRE.nameAt(l));
            double[] silu = new double[g.length];
            for (int i = 0; i < g.length; i++) silu[i] = Math.abs(g[i] / (1 + Math.exp(-(double) g[i])));   // SiLU in double, independently
            double expect = quantile(silu, 0.5);
            assertEquals(expect, th.threshold(l, SiteKind.FFN_DOWN), 1e-5 * expect, "layer " + l);
            assertEquals(0f, th.threshold(l, SiteKind.FFN_GATE_UP));
        }
        SparseModel s = SparseModel.of(m, th, true);
        runText(s, heldOut(m));
        assertEquals(0.5, s.counter(0, SiteKind.FFN_DOWN).sparsity(), 0.05, "layer 0 on held-out text");
        for (int l = 0; l < m.config().layers(); l++) assertEquals(0.5, s.counter(l, SiteKind.FFN_DOWN).sparsity(), 0.1, "layer " + l);
        assertEquals(0, s.counter(0, SiteKind.FFN_GATE_UP).seen(), "cats leaves the gate input dense");
        // up + down of every layer skipped at about half: a third of the MLP, more than a quarter of the block weights
        assertTrue(s.weightSparsity() > 0.2 && s.weightSparsity() < 0.45, "weight sparsity " + s.weightSparsity());
    }

    @Test
    void catsZeroesExactlyTheProductEntriesOfSmallSiluGateAndTheHookSeesThem() throws Exception {
        LlamaModel m = TealTest.brown();
        Thresholds th = SparsitySpec.calibrate("cats", m, CalibrationText.of(m, null, 512), 0.4, Progress.NONE);
        SparseModel s = SparseModel.of(m, th, true);
        int[] tokens = m.tokenizer().encode("The committee said the city would need new schools", true);
        int l = 1;
        float t = th.threshold(l, SiteKind.FFN_DOWN);
        KvCache cache = s.model().newCache();
        int zeros = 0, kept = 0;
        for (int tok : tokens) {   // decode: the row-skipping up and the column-skipping down
            float[][] seen = new float[2][];
            Hooks h = new Hooks();
            h.add(HookSite.MLP_PRE.nameAt(l), a -> seen[0] = Arrays.copyOfRange(a.data, a.offset, a.offset + a.size()));
            h.add(HookSite.MLP_POST.nameAt(l), a -> seen[1] = Arrays.copyOfRange(a.data, a.offset, a.offset + a.size()));
            s.model().forward(cache, new int[]{tok}, h, false);
            for (int i = 0; i < seen[0].length; i++) {
                float g = seen[0][i];
                if (Math.abs(g / (1f + (float) Math.exp(-g))) < t) { assertEquals(0f, Math.abs(seen[1][i]), "entry " + i); zeros++; }
                else if (seen[1][i] != 0) kept++;
            }
        }
        assertTrue(zeros > 0 && kept > 0, zeros + " skipped, " + kept + " kept");
        // the decode path (rows of up, columns of down) agrees with the prefill path (dense kernels on zeroed entries)
        SparseModel plain = SparseModel.of(m, th, false);
        KvCache a = s.model().newCache(), b = plain.model().newCache();
        double maxDiff = 0;
        for (int tok : tokens) {
            float[] x = s.model().forward(a, new int[]{tok}, Hooks.none(), false), y = plain.model().forward(b, new int[]{tok}, Hooks.none(), false);
            for (int i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
        }
        assertTrue(maxDiff < 1e-3, "cats decode vs zeroed dense: " + maxDiff);
    }

    @Test
    void sparsityZeroIsTheDenseModelBitForBitForEveryMethod() throws Exception {
        LlamaModel m = TealTest.brown();
        CalibrationText calib = CalibrationText.of(m, null, 256);
        int[] tokens = m.tokenizer().encode("The jury said that the election was conducted", true);
        float[] dense = m.runWithHooks(tokens, Hooks.none());
        for (String method : Thresholds.METHODS) {
            SparseModel s = SparseModel.of(m, SparsitySpec.calibrate(method, m, calib, 0.0, Progress.NONE), true);
            assertArrayEquals(dense, s.model().runWithHooks(tokens, Hooks.none()), 0f, method + " prefill");
            KvCache a = m.newCache(), b = s.model().newCache();
            for (int t : tokens)
                assertArrayEquals(m.forward(a, new int[]{t}, Hooks.none(), false), s.model().forward(b, new int[]{t}, Hooks.none(), false), 0f, method + " decode");
        }
    }

    @Test
    void chessChannelThresholdsAreEachChannelsQuantileAndReachTheTargetOnHeldOutText() throws Exception {
        LlamaModel m = TealTest.brown();
        CalibrationText calib = CalibrationText.of(m, null, 1024);
        Thresholds th = SparsitySpec.calibrate("chess", m, calib, 0.5, Progress.NONE);
        int dim = m.config().dim(), l = 2;
        float[] x = capture(m, calib.tokens(), HookSite.LN2_NORMALIZED.nameAt(l));
        float[] norm = m.weights().ffnNorm()[l];
        float[] ch = th.site(l, SiteKind.FFN_GATE_UP).channels();
        assertEquals(dim, ch.length);
        int n = x.length / dim;
        int distinct = 0;
        for (int c = 0; c < dim; c++) {
            double[] v = new double[n];
            for (int t = 0; t < n; t++) v[t] = Math.abs(x[t * dim + c] * norm[c]);
            assertEquals(quantile(v, 0.5), ch[c], 0.0, "channel " + c);
            if (Math.abs(ch[c] - ch[0]) > 1e-3 * ch[0]) distinct++;
        }
        assertTrue(distinct > dim / 2, "channels get thresholds of their own: " + distinct + " of " + dim + " differ from channel 0");
        for (Thresholds.Site s : th.sites()) assertEquals(0.5, s.calibratedSparsity(), 0.01, s.name());
        SparseModel s = SparseModel.of(m, th, true);
        runText(s, heldOut(m));
        assertEquals(0.5, s.counter(0, SiteKind.ATTN_QKV).sparsity(), 0.05, "layer 0 q/k/v on held-out text");
        for (Thresholds.Site site : th.sites()) assertEquals(0.5, s.counter(site.layer(), site.kind()).sparsity(), 0.12, site.name());
    }

    @Test
    void tealAndWinaThresholdsAreTheQuantileOfTheirCriterion() throws Exception {
        LlamaModel m = TealTest.brown();
        CalibrationText calib = CalibrationText.of(m, null, 512);
        int l = 1, hidden = m.config().hiddenDim();
        float[] post = capture(m, calib.tokens(), HookSite.MLP_POST.nameAt(l));
        // ||W_down[:, i]||, from the dequantized rows in double
        double[] norm = new double[hidden];
        float[] row = new float[hidden];
        var down = m.weights().wDown()[l];
        for (int r = 0; r < down.rows(); r++) {
            down.dequantizeRow(r, row, 0);
            for (int i = 0; i < hidden; i++) norm[i] += (double) row[i] * row[i];
        }
        double[] teal = new double[post.length], wina = new double[post.length];
        for (int i = 0; i < post.length; i++) {
            teal[i] = Math.abs(post[i]);
            wina[i] = Math.abs(post[i]) * Math.sqrt(norm[i % hidden]);
        }
        double tExpect = quantile(teal, 0.4), wExpect = quantile(wina, 0.4);
        assertEquals(tExpect, SparsitySpec.calibrate("teal", m, calib, 0.4, Progress.NONE).threshold(l, SiteKind.FFN_DOWN), 0.0);
        assertEquals(wExpect, SparsitySpec.calibrate("wina", m, calib, 0.4, Progress.NONE).threshold(l, SiteKind.FFN_DOWN), 1e-5 * wExpect);
    }

    @Test
    void chessAndGreedyThresholdsWriteVersion2AndReadBack() throws Exception {
        LlamaModel m = TealTest.brown();
        CalibrationText calib = CalibrationText.of(m, null, 256);
        // per-site levels as a greedy allocation writes them (the search itself: GreedyAllocationTest)
        SiteDistributions d = SiteDistributions.collect("chess", m, calib, Progress.NONE);
        double[][] levels = new double[m.config().layers()][SiteKind.values().length];
        for (int l = 0; l < levels.length; l++) for (int k = 0; k < levels[l].length; k++) levels[l][k] = 0.2 + 0.1 * k;
        Thresholds th = d.at(levels, "greedy", 0.4);
        Path f = dir.resolve("chess.json");
        th.write(f);
        assertTrue(Files.readString(f).contains("\"version\" : 2") || Files.readString(f).contains("\"version\":2"), Files.readString(f).substring(0, 120));
        Thresholds back = Thresholds.read(f);
        assertEquals("chess", back.method());
        assertEquals("greedy", back.allocation());
        for (int i = 0; i < th.sites().size(); i++) {
            assertArrayEquals(th.sites().get(i).channels(), back.sites().get(i).channels(), 0f);
            assertEquals(th.sites().get(i).target(), back.sites().get(i).target(), 0.0);
        }
        // one file, one model: channel counts must fit
        String cats = "{\"format\":\"actlab-sparsity-thresholds\",\"version\":2,\"method\":\"cats\",\"target_sparsity\":0.5,\"layers\":2,"
                + "\"sites\":[{\"layer\":0,\"input_of\":\"attn_qkv\",\"threshold\":0.1}]}";
        Files.writeString(f, cats);
        assertEquals("sites[0].input_of", assertThrows(FormatException.class, () -> Thresholds.read(f)).field());
        Files.writeString(f, cats.replace("cats", "chess").replace("attn_qkv", "ffn_down"));
        assertEquals("sites[0].channel_thresholds", assertThrows(FormatException.class, () -> Thresholds.read(f)).field());
    }
}
