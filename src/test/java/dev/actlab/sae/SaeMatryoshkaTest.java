package dev.actlab.sae;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.tensor.Parallel;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Matryoshka SAEs (Bussmann et al. 2025): the loss sums the reconstruction losses of nested
 * prefixes of the latent list; its gradients against finite differences of an independent
 * double-precision loss, and a run on actlab's default decoder against a plain TopK SAE.
 */
class SaeMatryoshkaTest {
    static LlamaModel brown;
    static int[] text;

    @BeforeAll static void load() throws Exception {
        brown = ModelLoader.loadDecoder(Path.of("models/actlab-brown.gguf"));
        text = brown.tokenizer().encode(SaeEvalTest.TEXT + " " + SaeEvalTest.TEXT.toLowerCase(java.util.Locale.ROOT), false);
    }

    /** The Matryoshka TopK loss in doubles: sum over prefixes of mean over rows of |x - (b_dec + sum of active latents below the prefix end)|^2. */
    private static double loss(Sae s, float[] x, int B, int k, int[] bounds) {
        int d = s.dIn(), m = s.dSae();
        double total = 0;
        for (int b = 0; b < B; b++) {
            double[] pre = new double[m];
            for (int i = 0; i < m; i++) {
                double p = s.bEnc[i];
                for (int j = 0; j < d; j++) p += (x[b * d + j] - (double) s.bDec[j]) * s.wEncT[i * d + j];
                pre[i] = p;
            }
            boolean[] on = new boolean[m];   // the k largest positive (ties are measure-zero here)
            for (int t = 0; t < k; t++) {
                int best = -1;
                for (int i = 0; i < m; i++) if (!on[i] && pre[i] > 0 && (best < 0 || pre[i] > pre[best])) best = i;
                if (best >= 0) on[best] = true;
            }
            for (int end : bounds) {
                double q = 0;
                for (int j = 0; j < d; j++) {
                    double xh = s.bDec[j];
                    for (int i = 0; i < end; i++) if (on[i]) xh += pre[i] * s.wDec[i * d + j];
                    q += (xh - x[b * d + j]) * (xh - x[b * d + j]);
                }
                total += q / B;
            }
        }
        return total;
    }

    @Test void lossAndGradientsMatchFiniteDifferencesOfTheNestedLoss() {
        int d = 8, m = 24, B = 6, k = 5;
        int[] bounds = {4, 10, 24};
        Sae s = SaeFileTest.random(new SaeConfig(SaeConfig.Architecture.TOPK, d, m, k, "x", 0, true, ""), 3);
        float[] x = new float[B * d];
        SplittableRandom r = new SplittableRandom(4);
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        SaeTrainer.Options o = new SaeTrainer.Options(SaeConfig.Architecture.TOPK, k, 3, 1e-3, B, B, 1, 0, 0, 0, 1L << 40, 10).with(new int[]{4, 10}, 0);
        SaeTrainer.Step st = new SaeTrainer.Step(B, d, m, d / 2, SaeTrainer.prefixBounds(o.matryoshka(), m));
        float[] gWEncT = new float[m * d], gBEnc = new float[m], gWDec = new float[m * d], gBDec = new float[d];
        st.forwardBackward(s, x, o, null, gWEncT, gBEnc, gWDec, gBDec, new float[0], new Parallel(2));
        double want = loss(s, x, B, k, bounds);
        assertEquals(want, st.loss, 1e-5 * want, "loss = sum over the three prefixes");
        assertEquals(want, (st.prefixErr[0] + st.prefixErr[1] + st.prefixErr[2]) / B, 1e-5 * want, "the per-prefix errors add up to it");
        assertEquals(st.err, st.prefixErr[2], "FVU is the whole dictionary's");
        double h = 1e-3;
        int checked = 0;
        float[][] params = {s.wEncT, s.bEnc, s.wDec, s.bDec};
        float[][] grads = {gWEncT, gBEnc, gWDec, gBDec};
        String[] names = {"W_enc^T", "b_enc", "W_dec", "b_dec"};
        for (int p = 0; p < params.length; p++) {
            for (int t = 0; t < Math.min(params[p].length, 60); t++) {
                int i = p == 1 || p == 3 ? t : (t * 37) % params[p].length;
                float keep = params[p][i];
                params[p][i] = (float) (keep + h);
                double up = loss(s, x, B, k, bounds);
                params[p][i] = (float) (keep - h);
                double down = loss(s, x, B, k, bounds);
                params[p][i] = keep;
                double fd = (up - down) / (((double) (float) (keep + h)) - (float) (keep - h));
                assertEquals(fd, grads[p][i], 2e-3 * (1 + Math.abs(fd)), names[p] + "[" + i + "]");
                checked++;
            }
        }
        assertTrue(checked > 100);
        // one prefix (no widths) is the plain TopK loss, with its gradients bit for bit
        SaeTrainer.Options plain = new SaeTrainer.Options(SaeConfig.Architecture.TOPK, k, 3, 1e-3, B, B, 1, 0, 0, 0, 1L << 40, 10);
        SaeTrainer.Step a = new SaeTrainer.Step(B, d, m, d / 2), b = new SaeTrainer.Step(B, d, m, d / 2, SaeTrainer.prefixBounds(new int[]{m}, m));
        float[] ga = new float[m * d], gb = new float[m * d];
        a.forwardBackward(s, x, plain, null, new float[m * d], new float[m], ga, new float[d], new float[0], new Parallel(1));
        b.forwardBackward(s, x, plain.with(new int[]{m}, 0), null, new float[m * d], new float[m], gb, new float[d], new float[0], new Parallel(1));
        assertArrayEquals(ga, gb);
        assertEquals(loss(s, x, B, k, new int[]{m}), a.loss, 1e-5 * a.loss);
    }

    private static SaeTrainer.Result trainOnBrown(SaeTrainer.Options o) throws Exception {
        ModelActivations src = new ModelActivations(brown, SaeEvalTest.SITE, text, 32, 512, 1);
        return SaeTrainer.train(src, SaeEvalTest.SITE, 2, brown.source(), o, new Parallel(2), Progress.NONE, null);
    }

    /** FVU of each prefix's reconstruction on rows of the stream the SAEs did not train on. */
    private static double[] prefixFvu(Sae sae, int[] widths) {
        ModelActivations held = new ModelActivations(brown, SaeEvalTest.SITE, text, 32, 256, 99);
        int n = 512, d = held.width();
        float[] x = new float[n * d];
        held.next(x, n);
        SparseCode code = sae.encode(x, n, new Parallel(2));
        double[] out = new double[widths.length];
        for (int i = 0; i < widths.length; i++) out[i] = SaeMetrics.fvu(x, sae.decodePrefix(code, widths[i]), n, d);
        return out;
    }

    @Test void onTheDefaultDecoderPrefixesReconstructBetterAsTheyGrowAndTheWholeMatchesPlainTopK() throws Exception {
        int expansion = 4, k = 16, dSae = brown.dModel() * expansion;
        int[] widths = {dSae / 16, dSae / 4, dSae};
        SaeTrainer.Options plain = new SaeTrainer.Options(SaeConfig.Architecture.TOPK, k, expansion, 2e-3, 128, 128L * 120, 1, 0, 1.0 / 32, 0, 128L * 50, 50);
        SaeTrainer.Options nested = plain.with(new int[]{widths[0], widths[1]}, 0);
        SaeTrainer.Result m = trainOnBrown(nested), p = trainOnBrown(plain);
        double[] fm = prefixFvu(m.sae(), widths), fp = prefixFvu(p.sae(), widths);
        System.out.printf("matryoshka %s: held-out FVU of prefixes %s, training %s; plain topk: %s, training %.4f%n",
                java.util.Arrays.toString(widths), java.util.Arrays.toString(fm), java.util.Arrays.toString(m.last().prefixFvu()),
                java.util.Arrays.toString(fp), p.last().fvu());
        for (int i = 1; i < widths.length; i++) assertTrue(fm[i] < fm[i - 1], "prefix " + widths[i] + " reconstructs better than " + widths[i - 1] + ": " + java.util.Arrays.toString(fm));
        assertEquals(3, m.last().prefixFvu().length);
        assertEquals(m.last().fvu(), m.last().prefixFvu()[2], 1e-12);
        assertTrue(fm[0] < 1.0 && fm[0] < fp[0], "the smallest nested dictionary reconstructs alone, the plain SAE's first latents do not: " + fm[0] + " vs " + fp[0]);
        assertTrue(fm[2] < 2 * fp[2], "the whole Matryoshka dictionary is comparable to plain TopK at the same L0: " + fm[2] + " vs " + fp[2]);
    }
}
