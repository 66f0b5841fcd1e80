package dev.actlab.sparsity;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.actlab.io.Progress;
import dev.actlab.model.eval.Perplexity;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.KvCache;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** TEAL on real models: stories260K (llama2.c) and actlab's own Brown decoder. */
class TealTest {
    static final Path BROWN = Path.of("models/actlab-brown.gguf");

    static LlamaModel brown() throws Exception {
        assumeTrue(Files.isRegularFile(BROWN), "skipped: " + BROWN + " is absent");
        return ModelLoader.loadDecoder(BROWN);
    }

    static int[] seq(LlamaModel m) throws Exception {
        return Shared.tokens(Shared.require("reference/stories260K/seq1.tokens.txt"));
    }

    @Test
    void sparsityZeroGivesTheDenseLogitsBitForBitInPrefillAndDecode() throws Exception {
        LlamaModel dense = Llama2cReader.read(Shared.stories260K());
        int[] calib = CalibrationText.of(dense, null, 128).tokens();
        Thresholds th = TealCalibration.calibrate(dense, calib, 0.0, "random", Progress.NONE);
        for (Thresholds.Site s : th.sites()) assertEquals(0f, s.threshold(), s.name());
        SparseModel sparse = SparseModel.of(dense, th, true);
        int[] tokens = seq(dense);
        assertArrayEquals(dense.runWithHooks(tokens, Hooks.none()), sparse.model().runWithHooks(tokens, Hooks.none()), 0f);
        KvCache a = dense.newCache(), b = sparse.model().newCache();
        for (int t : tokens)
            assertArrayEquals(dense.forward(a, new int[]{t}, Hooks.none(), false), sparse.model().forward(b, new int[]{t}, Hooks.none(), false), 0f);
        assertEquals(0.0, sparse.counter(0, SiteKind.FFN_DOWN).sparsity());
        assertTrue(sparse.counter(0, SiteKind.FFN_DOWN).seen() > 0);
    }

    @Test
    void sparseDecodeReadingOnlyKeptColumnsMatchesTheZeroedDenseProduct() throws Exception {
        LlamaModel dense = Llama2cReader.read(Shared.stories260K());
        Thresholds th = TealCalibration.calibrate(dense, CalibrationText.of(dense, null, 256).tokens(), 0.5, "random", Progress.NONE);
        SparseModel fast = SparseModel.of(dense, th, true), plain = SparseModel.of(dense, th, false);
        assertTrue(fast.extraBytes() > 0);
        assertEquals(0, plain.extraBytes());
        int[] tokens = seq(dense);
        KvCache a = fast.model().newCache(), b = plain.model().newCache(), c = dense.newCache();
        double maxDiff = 0, maxFromDense = 0;
        for (int t : tokens) {
            float[] x = fast.model().forward(a, new int[]{t}, Hooks.none(), false);
            float[] y = plain.model().forward(b, new int[]{t}, Hooks.none(), false);
            float[] z = dense.forward(c, new int[]{t}, Hooks.none(), false);
            for (int i = 0; i < x.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
                maxFromDense = Math.max(maxFromDense, Math.abs(x[i] - z[i]));
            }
        }
        assertTrue(maxDiff < 1e-3, "input-major sparse decode vs dense kernel on zeroed inputs: max |diff| " + maxDiff);
        assertTrue(maxFromDense > 1e-2, "50% sparsity should change the logits, max |diff| from dense " + maxFromDense);
        double s = fast.counter(0, SiteKind.ATTN_QKV).sparsity();
        assertTrue(s > 0.3 && s < 0.7, "layer 0 q/k/v input sparsity " + s);
    }

    @Test
    void aReluSiteMostlyOfExactZerosSkipsThemInsteadOfNothing() throws Exception {
        LlamaModel swiglu = brown();
        LlamaModel relu = new LlamaModel(swiglu.config().withMlp(new dev.actlab.model.llama.MlpSpec(dev.actlab.model.llama.MlpActivation.RELU, true, 0)),
                swiglu.weights(), swiglu.tokenizer(), swiglu.source());
        int[] calib = CalibrationText.of(relu, null, 512).tokens();
        // the fraction of exact zeros at each ffn_down input, counted directly from the hook
        var cache = relu.runWithCache(java.util.Arrays.copyOf(calib, Math.min(calib.length, relu.contextLength())), n -> n.endsWith("mlp.hook_post"));
        double target = 0.3;
        Thresholds th = TealCalibration.calibrate(relu, calib, target, "text", Progress.NONE);
        SparseModel sparse = SparseModel.of(relu, th, true);
        KvCache kv = sparse.model().newCache();
        for (int t : java.util.Arrays.copyOf(calib, 64)) sparse.model().forward(kv, new int[]{t}, Hooks.none(), false);
        int checked = 0;
        for (int l = 0; l < relu.config().layers(); l++) {
            var a = cache.get("blocks." + l + ".mlp.hook_post");
            long zeros = 0;
            for (int i = 0; i < a.size(); i++) if (a.data[a.offset + i] == 0f) zeros++;
            double zeroFraction = (double) zeros / a.size();
            if (zeroFraction <= target + 0.05) continue;   // the quantile is positive there: the ordinary rule
            checked++;
            assertEquals(Float.MIN_VALUE, th.threshold(l, SiteKind.FFN_DOWN), "layer " + l + ": exact zeros " + zeroFraction);
            double skipped = sparse.counter(l, SiteKind.FFN_DOWN).sparsity();
            assertTrue(skipped > target, "layer " + l + ": " + zeroFraction + " of the inputs are 0 but decoding skipped " + skipped);
        }
        assertTrue(checked > 0, "ReLU in place of SiLU should leave more than " + target + " exact zeros in some layer");
    }

    @Test
    void thresholdsReachTheTargetOnCalibrationDataWithinOnePercent() throws Exception {
        LlamaModel m = brown();
        CalibrationText text = CalibrationText.of(m, null, 1024);
        assertTrue(text.tokens().length > 400, "built-in calibration text: " + text.tokens().length + " tokens");
        for (double target : new double[]{0.25, 0.5}) {
            Thresholds th = TealCalibration.calibrate(m, text.tokens(), target, text.source(), Progress.NONE);
            assertEquals(4 * m.config().layers(), th.sites().size());
            for (Thresholds.Site s : th.sites()) {
                assertEquals(target, s.calibratedSparsity(), 0.01, s.name());
                assertTrue(s.threshold() > 0, s.name());
            }
            // measured in the sparse model on the same text: the first site sees the dense input, so it matches exactly;
            // later sites see inputs already changed by the sparsity before them
            SparseModel sparse = SparseModel.of(m, th, false);
            int ctx = m.config().contextLength();
            for (int i = 0; i < text.tokens().length; i += ctx)
                sparse.model().run(java.util.Arrays.copyOfRange(text.tokens(), i, Math.min(text.tokens().length, i + ctx)), Hooks.none());
            assertEquals(target, sparse.counter(0, SiteKind.ATTN_QKV).sparsity(), 0.01);
            for (int l = 0; l < m.config().layers(); l++)
                for (SiteKind k : SiteKind.values())
                    assertEquals(target, sparse.counter(l, k).sparsity(), 0.1, k.siteName(l));
        }
    }

    @Test
    void perplexityRisesWithSparsityButStaysClose() throws Exception {
        LlamaModel m = brown();
        CalibrationText calib = CalibrationText.of(m, null, 1024);
        int[] eval = m.tokenizer().encode(CalibrationText.resource(CalibrationText.EVALUATION), true);
        double dense = Perplexity.run(m, eval, 256, Hooks.none(), null, null, Progress.NONE).perplexity();
        double[] ppl = new double[3];
        double[] levels = {0.25, 0.5, 0.8};
        for (int i = 0; i < levels.length; i++) {
            Thresholds th = TealCalibration.calibrate(m, calib.tokens(), levels[i], calib.source(), Progress.NONE);
            ppl[i] = Perplexity.run(SparseModel.of(m, th, false).model(), eval, 256, Hooks.none(), null, null, Progress.NONE).perplexity();
        }
        String all = "dense " + dense + ", 25% " + ppl[0] + ", 50% " + ppl[1] + ", 80% " + ppl[2];
        assertEquals(dense, ppl[0], 0.03 * dense, all);     // a quarter of the inputs costs (almost) nothing
        assertTrue(ppl[1] > dense && ppl[1] < 1.3 * dense, all);
        assertTrue(ppl[2] > 1.3 * ppl[1], all);              // far past what the model tolerates, it breaks
    }

    @Test
    void winaWeighsInputsByTheirColumnNormsAndReachesItsTarget() throws Exception {
        LlamaModel m = brown();
        CalibrationText calib = CalibrationText.of(m, null, 1024);
        Thresholds wina = SparsitySpec.calibrate("wina", m, calib, 0.5, Progress.NONE);
        assertEquals("wina", wina.method());
        for (Thresholds.Site s : wina.sites()) assertEquals(0.5, s.calibratedSparsity(), 0.01, s.name());
        SparseModel sw = SparseModel.of(m, wina, true);
        int ctx = m.config().contextLength();
        for (int i = 0; i < calib.tokens().length; i += ctx)
            sw.model().run(java.util.Arrays.copyOfRange(calib.tokens(), i, Math.min(calib.tokens().length, i + ctx)), Hooks.none());
        assertEquals(0.5, sw.counter(0, SiteKind.ATTN_QKV).sparsity(), 0.01);
        // the criterion differs from TEAL's: other inputs are kept at the same sparsity
        Thresholds teal = SparsitySpec.calibrate("teal", m, calib, 0.5, Progress.NONE);
        assertNotEquals(teal.threshold(0, SiteKind.FFN_DOWN), wina.threshold(0, SiteKind.FFN_DOWN));
        int[] tokens = m.tokenizer().encode("The jury said that the election was conducted", true);
        float[] a = SparseModel.of(m, teal, false).model().lastLogits(tokens, Hooks.none());
        float[] b = sw.model().lastLogits(tokens, Hooks.none());
        assertFalse(java.util.Arrays.equals(a, b));
    }

    @Test
    void unimplementedMethodIsRefusedByName() throws Exception {
        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        var e = assertThrows(IllegalArgumentException.class, () -> SparsitySpec.resolve("deja:0.5", m, null, 64, Progress.NONE));
        assertTrue(e.getMessage().contains("deja") && e.getMessage().contains("rsparse"), e.getMessage());   // names it and lists the methods
        var e2 = assertThrows(IllegalArgumentException.class, () -> SparsitySpec.resolve("teal:half", m, null, 64, Progress.NONE));
        assertTrue(e2.getMessage().contains("half"), e2.getMessage());
    }
}
