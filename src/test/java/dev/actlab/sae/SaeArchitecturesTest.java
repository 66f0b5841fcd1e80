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

/** BatchTopK and JumpReLU: their training activations and gradients, and short runs on actlab's default decoder. */
class SaeArchitecturesTest {
    static LlamaModel brown;
    static int[] text;

    @BeforeAll static void load() throws Exception {
        brown = ModelLoader.loadDecoder(Path.of("models/actlab-brown.gguf"));
        text = brown.tokenizer().encode(SaeEvalTest.TEXT + " " + SaeEvalTest.TEXT.toLowerCase(java.util.Locale.ROOT), false);
    }

    private static float[] rows(int n, int d, long seed) {
        float[] x = new float[n * d];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    private static SaeTrainer.Options options(SaeConfig.Architecture a, int k, int batch, double lambda, double eps) {
        return new SaeTrainer.Options(a, k, 4, 1e-3, batch, batch, 1, lambda, 1.0 / 32, 0, 1L << 40, 10, eps, 0.1);
    }

    private static SaeTrainer.Step step(Sae s, float[] x, SaeTrainer.Options o, float[] gTheta) {
        int d = s.dIn(), m = s.dSae();
        SaeTrainer.Step st = new SaeTrainer.Step(o.batch(), d, m, d / 2);
        st.forwardBackward(s, x, o, null, new float[m * d], new float[m], new float[m * d], new float[d], gTheta, new Parallel(2));
        return st;
    }

    @Test void jumpReluThresholdGradientIsTheStraightThroughEstimate() {
        int d = 10, m = 40, B = 24;
        double lambda = 0.7, eps = 0.4;   // a wide kernel, so that many pre-activations fall inside it
        Sae s = SaeFileTest.random(new SaeConfig(SaeConfig.Architecture.JUMPRELU, d, m, 1, "x", 0, true, ""), 8);
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < m; i++) s.threshold[i] = (float) (0.05 + 0.5 * r.nextDouble());
        float[] x = rows(B, d, 3), gTheta = new float[m];
        SaeTrainer.Step st = step(s, x, options(SaeConfig.Architecture.JUMPRELU, 1, B, lambda, eps), gTheta);
        // independently, in doubles: pre, f = pre H(pre - theta), x_hat, dL/dx_hat = 2 (x_hat - x) / B
        double[][] pre = new double[B][m], dRecon = new double[B][d];
        double l0 = 0, mse = 0;
        for (int b = 0; b < B; b++) {
            double[] xh = new double[d];
            for (int j = 0; j < d; j++) xh[j] = s.bDec[j];
            for (int i = 0; i < m; i++) {
                double p = s.bEnc[i];
                for (int j = 0; j < d; j++) p += (x[b * d + j] - (double) s.bDec[j]) * s.wEncT[i * d + j];
                pre[b][i] = p;
                if (p > s.threshold[i]) { l0++; for (int j = 0; j < d; j++) xh[j] += p * s.wDec[i * d + j]; }
            }
            for (int j = 0; j < d; j++) { double e = xh[j] - x[b * d + j]; mse += e * e; dRecon[b][j] = 2 * e / B; }
        }
        assertEquals(mse / B + lambda * l0 / B, st.loss, 1e-4 * (1 + st.loss), "loss = MSE + lambda L0");
        int inside = 0;
        for (int i = 0; i < m; i++) {
            double th = s.threshold[i], want = 0, scale = 0;
            for (int b = 0; b < B; b++) {
                if (Math.abs(pre[b][i] - th) >= eps / 2) continue;   // rectangle kernel K((pre - theta) / eps)
                inside++;
                double dLdf = 0;
                for (int j = 0; j < d; j++) dLdf += dRecon[b][j] * s.wDec[i * d + j];
                want += -(th / eps) * dLdf - lambda / (B * eps);
                scale += Math.abs((th / eps) * dLdf) + lambda / (B * eps);
            }
            assertEquals(want, gTheta[i], 1e-4 * (1 + scale), "dL/dtheta of latent " + i);
        }
        assertTrue(inside > B * m / 10, "pre-activations inside the kernel: " + inside);
    }

    @Test void batchTopKKeepsExactlyKTimesBatchActivationsOfTheWholeBatch() {
        int d = 16, m = 64, B = 32, k = 5;
        Sae s = SaeFileTest.random(new SaeConfig(SaeConfig.Architecture.BATCHTOPK, d, m, k, "x", 0, true, ""), 4);
        float[] x = rows(B, d, 6);
        SaeTrainer.Step st = step(s, x, options(SaeConfig.Architecture.BATCHTOPK, k, B, 0, 0.001), new float[0]);
        assertEquals(k * B, st.entries);
        assertEquals(k, st.l0, 1e-12);
        float[] pre = st.pre.clone();
        float minKept = Float.POSITIVE_INFINITY;
        boolean[] kept = new boolean[B * m];
        int[] perRow = new int[B];
        for (int e = 0; e < st.entries; e++) {
            kept[st.eRow[e] * m + st.eLat[e]] = true;
            perRow[st.eRow[e]]++;
            assertEquals(pre[st.eRow[e] * m + st.eLat[e]], st.eVal[e]);
            minKept = Math.min(minKept, st.eVal[e]);
        }
        assertEquals(minKept, st.minKept);
        for (int i = 0; i < B * m; i++) if (!kept[i]) assertTrue(pre[i] <= minKept, "a dropped value above a kept one at " + i);
        java.util.Arrays.sort(pre);
        assertEquals(pre[B * m - k * B], minKept, "the cut is the (k B)-th largest of the batch");
        assertTrue(java.util.Arrays.stream(perRow).anyMatch(c -> c != k), "rows differ in L0 (the batch, not each row, keeps k on average)");
        // ties at the cut: every pre-activation equal, the first k B in row order are kept
        Sae flat = new Sae(s.cfg);
        java.util.Arrays.fill(flat.bEnc, 0.5f);
        SaeTrainer.Step t = step(flat, x, options(SaeConfig.Architecture.BATCHTOPK, k, B, 0, 0.001), new float[0]);
        assertEquals(k * B, t.entries);
        for (int e = 0; e < t.entries; e++) assertEquals(e, t.eRow[e] * m + t.eLat[e]);
    }

    @Test void kthLargestPositiveMatchesASort() {
        SplittableRandom r = new SplittableRandom(9);
        float[] a = new float[5000];
        for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextGaussian() * Math.exp(r.nextDouble() * 10 - 5));
        a[17] = a[18] = a[19];
        java.util.List<Float> p = new java.util.ArrayList<>();
        for (float v : a) if (v > 0) p.add(v);
        p.sort(java.util.Comparator.reverseOrder());
        for (int k : new int[]{1, 2, 10, 777, p.size()}) assertEquals(p.get(k - 1), TopK.kthLargestPositive(a, a.length, k), "k " + k);
    }


    /** FVU of sae on rows of the stream it has not trained on. */
    private static double heldOutFvu(Sae sae) {
        ModelActivations held = new ModelActivations(brown, SaeEvalTest.SITE, text, 32, 256, 99);
        int n = 512, d = held.width();
        float[] x = new float[n * d];
        held.next(x, n);
        return SaeMetrics.fvu(x, sae.reconstruct(x, n, new Parallel(2)), n, d);
    }

    private static double untrainedFvu(SaeTrainer.Options o) {
        ModelActivations src = new ModelActivations(brown, SaeEvalTest.SITE, text, 32, 512, 1);
        int d = src.width(), B = o.batch();
        float[] x = new float[B * d];
        src.next(x, B);
        float c = (float) SaeTrainer.scaleOf(x, B, d);
        for (int i = 0; i < x.length; i++) x[i] *= c;
        Sae s = new Sae(new SaeConfig(o.arch(), d, d * o.expansion(), o.k(), SaeEvalTest.SITE, 2, true, ""));
        SaeTrainer.initialise(s, x, B, o);
        if (o.arch() == SaeConfig.Architecture.JUMPRELU) java.util.Arrays.fill(s.threshold, (float) o.thetaInit());
        return heldOutFvu(SaeTrainer.unscale(s, c));
    }

    private static SaeTrainer.Result trainOnBrown(SaeTrainer.Options o) throws Exception {
        ModelActivations src = new ModelActivations(brown, SaeEvalTest.SITE, text, 32, 512, 1);
        return SaeTrainer.train(src, SaeEvalTest.SITE, 2, brown.source(), o, new Parallel(2), Progress.NONE, null);
    }

    @Test void batchTopKTrainsOnTheDefaultDecoderAndItsThresholdKeepsL0NearK() throws Exception {
        SaeTrainer.Options o = new SaeTrainer.Options(SaeConfig.Architecture.BATCHTOPK, 16, 2, 1e-3, 128, 128L * 120, 1, 0, 1.0 / 32, 0, 128L * 50, 40);
        SaeTrainer.Result t = trainOnBrown(o);
        assertEquals(16, t.last().l0(), 1e-9, "training L0 is exactly k");
        Sae sae = t.sae();
        for (float th : sae.threshold) assertEquals(sae.threshold[0], th, "one global threshold");
        assertTrue(sae.threshold[0] > 0);
        double trained = heldOutFvu(sae), untrained = untrainedFvu(o);
        assertTrue(trained < untrained / 2, "held-out FVU " + trained + " vs untrained " + untrained);
        SaeEval.Result r = SaeEval.evaluate(brown, sae, text, 32, 100, new Parallel(2), Progress.NONE);
        System.out.printf("batchtopk: held-out FVU %.4f (untrained %.4f), spliced L0 %.1f, FVU %.4f, CE recovered %.3f, threshold %.4f%n", trained, untrained, r.l0(), r.fvu(), r.ceRecovered(), sae.threshold[0]);
        assertTrue(r.l0() > 16 / 3.0 && r.l0() < 16 * 3.0, "inference L0 with the global threshold " + r.l0());
        assertTrue(r.ceRecovered() > 0.5, "CE recovered " + r.ceRecovered());
    }

    @Test void jumpReluTrainsOnTheDefaultDecoderAndItsThresholdsMove() throws Exception {
        SaeTrainer.Options o = new SaeTrainer.Options(SaeConfig.Architecture.JUMPRELU, 0, 2, 1e-3, 128, 128L * 120, 1, 1e-2, 0, 0, 128L * 50, 40, 0.05, 0.1);
        SaeTrainer.Result t = trainOnBrown(o);
        double trained = heldOutFvu(t.sae()), untrained = untrainedFvu(o);
        assertTrue(trained < untrained / 2, "held-out FVU " + trained + " vs untrained " + untrained);
        assertTrue(t.last().l0() < t.history().get(0).l0(), "the L0 penalty lowers L0: " + t.history());
        double meanTheta = 0, moved = 0;
        for (float th : t.sae().threshold) { meanTheta += th / t.sae().dSae(); moved = Math.max(moved, Math.abs(th - o.thetaInit())); }
        assertTrue(moved > 0.005, "the straight-through estimator moves the thresholds: at most " + moved);
        SaeEval.Result r = SaeEval.evaluate(brown, t.sae(), text, 32, 100, new Parallel(2), Progress.NONE);
        System.out.printf("jumprelu: held-out FVU %.4f (untrained %.4f), L0 %.1f -> %.1f, spliced L0 %.1f, FVU %.4f, CE recovered %.3f, mean theta %.4f, max move %.4f%n", trained, untrained,
                t.history().get(0).l0(), t.last().l0(), r.l0(), r.fvu(), r.ceRecovered(), meanTheta, moved);
        assertTrue(r.ceRecovered() > 0.5, "CE recovered " + r.ceRecovered());
    }
}
