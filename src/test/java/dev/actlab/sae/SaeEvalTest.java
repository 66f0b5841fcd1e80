package dev.actlab.sae;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.tensor.Parallel;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** On actlab's own decoder: splicing, the CE loss recovered, and training streamed from the model. */
class SaeEvalTest {
    static LlamaModel brown;
    static int[] text;
    static final String SITE = "blocks.2.hook_resid_post";
    static final String TEXT = "The Fulton County Grand Jury said Friday an investigation of the city's recent primary election "
            + "produced no evidence that any irregularities took place. The jury further said in term-end presentments that the "
            + "City Executive Committee, which had over-all charge of the election, deserves the praise and thanks of the City of "
            + "Atlanta for the manner in which the election was conducted. It recommended that Fulton legislators act to have "
            + "these laws studied and revised to the end of modernizing and improving them. The grand jury commented on a number "
            + "of other topics, among them the Atlanta and Fulton County purchasing departments which it said are well operated.";

    @BeforeAll static void load() throws Exception {
        brown = ModelLoader.loadDecoder(Path.of("models/actlab-brown.gguf"));
        text = brown.tokenizer().encode(TEXT, false);
    }

    /** relu(x) - relu(-x) = x: an SAE with d_sae = 2 d_in that reconstructs exactly. */
    static Sae identity(int d) {
        Sae s = new Sae(new SaeConfig(SaeConfig.Architecture.RELU, d, 2 * d, 1, SITE, 2, true, ""));
        for (int j = 0; j < d; j++) {
            s.wEncT[j * d + j] = 1; s.wEncT[(d + j) * d + j] = -1;
            s.wDec[j * d + j] = 1; s.wDec[(d + j) * d + j] = -1;
        }
        return s;
    }

    @Test void anExactReconstructionRecoversAllTheLoss() {
        SaeEval.Result r = SaeEval.evaluate(brown, identity(brown.dModel()), text, 32, 100, new Parallel(2), Progress.NONE);
        assertTrue(r.fvu() < 1e-10, "FVU " + r.fvu());
        assertEquals(r.ceClean(), r.ceSpliced(), 1e-6);
        assertTrue(r.ceZero() > r.ceClean() + 0.5, "zero-ablating the residual stream hurts: " + r.ceZero() + " vs " + r.ceClean());
        assertEquals(1.0, r.ceRecovered(), 1e-6);
        assertEquals(0.0, r.klSpliced(), 1e-6);
        assertEquals(brown.dModel(), r.l0(), brown.dModel() * 0.05 + 1, "about one of each +/- pair fires per dimension");
    }

    /** Mean-ablation against a direct computation: the site's mean over windows, then a replace hook and the next-token loss. */
    @Test void meanAblationMatchesADirectComputation() {
        int ctx = 32, d = brown.dModel(), V = brown.vocabSize(), body = ctx - 1, windows = text.length / body;
        assertTrue(windows >= 2, "at least two windows");
        int bos = brown.tokenizer().bosId();
        double[] sum = new double[d];
        for (int w = 0; w < windows; w++) {
            int[] win = window(w, ctx, bos);
            brown.runWithHooks(win, dev.actlab.model.hook.Hooks.of(SITE, a -> {
                for (int r = 1; r < ctx; r++) for (int j = 0; j < d; j++) sum[j] += a.data[a.offset + r * d + j];
            }));
        }
        double ce = 0;
        int preds = 0;
        for (int w = 0; w < windows; w++) {
            int[] win = window(w, ctx, bos);
            float[] logits = brown.runWithHooks(win, dev.actlab.model.hook.Hooks.of(SITE, a -> {
                for (int r = 1; r < ctx; r++) for (int j = 0; j < d; j++) a.data[a.offset + r * d + j] = (float) (sum[j] / (windows * body));
            }));
            for (int p = 1; p < ctx - 1; p++, preds++) {
                double max = Double.NEGATIVE_INFINITY, z = 0;
                for (int t = 0; t < V; t++) max = Math.max(max, logits[p * V + t]);
                for (int t = 0; t < V; t++) z += Math.exp(logits[p * V + t] - max);
                ce -= logits[p * V + win[p + 1]] - max - Math.log(z);
            }
        }
        ce /= preds;
        SaeEval.Result r = SaeEval.evaluate(brown, identity(d), text, ctx, 100, new Parallel(2), Progress.NONE);
        assertEquals(ce, r.ceMean(), 1e-4);
        assertTrue(r.ceMean() > r.ceClean() + 0.1, "mean-ablating the residual stream hurts: " + r.ceMean() + " vs " + r.ceClean());
        assertEquals((r.ceMean() - r.ceSpliced()) / (r.ceMean() - r.ceClean()), r.ceRecoveredMean(), 1e-12);
        assertEquals(1.0, r.ceRecoveredMean(), 1e-6);
    }

    static int[] window(int w, int ctx, int bos) {
        int[] win = new int[ctx];
        win[0] = bos;
        System.arraycopy(text, w * (ctx - 1), win, 1, ctx - 1);
        return win;
    }

    @Test void aSaeTrainedOnTheStreamRecoversMostOfTheLoss() throws Exception {
        ModelActivations src = new ModelActivations(brown, SITE, text, 32, 512, 1);
        SaeTrainer.Options o = new SaeTrainer.Options(SaeConfig.Architecture.TOPK, 16, 4, 1e-3, 128, 128L * 200, 1, 0, 1.0 / 32, 0, 128L * 50, 50);
        SaeTrainer.Result t = SaeTrainer.train(src, SITE, 2, brown.source(), o, new Parallel(2), Progress.NONE, null);
        assertTrue(t.last().fvu() < t.history().get(0).fvu(), "FVU falls");
        SaeEval.Result r = SaeEval.evaluate(brown, t.sae(), text, 32, 100, new Parallel(2), Progress.NONE);
        assertTrue(r.l0() <= 16 + 1e-9 && r.l0() > 4, "L0 " + r.l0());
        assertTrue(r.fvu() < 0.5, "FVU " + r.fvu());
        assertTrue(r.ceSpliced() > r.ceClean() - 0.05 && r.ceSpliced() < r.ceZero(), r.toString());
        assertTrue(r.ceRecovered() > 0.5 && r.ceRecovered() <= 1.05, "CE recovered " + r.ceRecovered());
        assertTrue(r.klSpliced() > 0);
    }

    @Test void trainsFromACaptureStoreLikeFromTheStream(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        int[] ids = brown.tokenizer().encode(TEXT, true);
        new dev.actlab.capture.ActivationCapture(brown, SITE::equals, 32, 64, dev.actlab.tensor.DType.F32).run(ids, dir, Progress.NONE);
        dev.actlab.capture.ActivationStore store = dev.actlab.capture.ActivationStore.open(dir);
        StoreActivations src = new StoreActivations(store, SITE, 3);
        assertEquals(brown.dModel(), src.width());
        float[] all = new float[(int) store.rows() * src.width()];
        src.next(all, (int) store.rows());
        float[] direct = store.rows(SITE, 0, (int) store.rows());
        float[] a = all.clone(), b = direct.clone();
        java.util.Arrays.sort(a); java.util.Arrays.sort(b);
        assertArrayEquals(b, a, "one epoch is a permutation of the store's rows");
        assertFalse(java.util.Arrays.equals(all, direct), "shuffled");
        SaeTrainer.Options o = new SaeTrainer.Options(SaeConfig.Architecture.TOPK, 8, 2, 1e-3, 64, 64L * 40, 1, 0, 1.0 / 32, 0, 64L * 10, 10);
        SaeTrainer.Result t = SaeTrainer.train(new StoreActivations(store, SITE, 3), SITE, 2, brown.source(), o, new Parallel(2), Progress.NONE, null);
        assertTrue(t.last().fvu() < t.history().get(0).fvu(), "FVU falls: " + t.history());
    }
}
