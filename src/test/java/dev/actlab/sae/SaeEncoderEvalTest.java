package dev.actlab.sae;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.Progress;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.bert.EncoderOutput;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.load.ModelRef;
import dev.actlab.tensor.Parallel;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** On MiniLM: the encoder evaluation against a direct computation in doubles (hooks, ReLU code, pooling, cosines). */
class SaeEncoderEvalTest {
    static final String SITE = "blocks.3.hook_resid_post";
    static BertModel minilm;
    static int[] text;

    @BeforeAll static void load() throws Exception {
        minilm = ModelRef.encoder("minilm");
        text = minilm.tokenizer().encode(SaeEvalTest.TEXT, false);
    }

    @Test void matchesADirectComputation() {
        int d = minilm.dModel(), m = 2 * d, ctx = 24, body = ctx - 1;
        Sae s = SaeFileTest.random(new SaeConfig(SaeConfig.Architecture.RELU, d, m, 1, SITE, 3, true, ""), 5);
        for (int i = 0; i < s.wEncT.length; i++) s.wEncT[i] *= 0.3f;   // pre-activations of both signs
        int windows = 3;
        SaeEncoderEval.Result r = SaeEncoderEval.evaluate(minilm, s, text, ctx, windows, new Parallel(2), Progress.NONE);

        double[][] xs = new double[windows * body][], xh = new double[windows * body][];
        double l0 = 0, cosS = 0, cosZ = 0;
        boolean[] fired = new boolean[m];
        for (int w = 0; w < windows; w++) {
            int[] win = new int[ctx];
            win[0] = minilm.tokenizer().bosId();
            System.arraycopy(text, w * body, win, 1, body);
            float[][] site = new float[1][];
            double[] clean = pooled(minilm.forward(new int[][]{win}, null, Hooks.of(SITE, a -> site[0] = Arrays.copyOfRange(a.data, a.offset, a.offset + ctx * d))));
            float[] recon = new float[body * d];
            for (int t = 1; t < ctx; t++) {
                double[] x = new double[d], y = new double[d];
                for (int j = 0; j < d; j++) { x[j] = site[0][t * d + j]; y[j] = s.bDec[j]; }
                for (int i = 0; i < m; i++) {
                    double pre = s.bEnc[i];
                    for (int j = 0; j < d; j++) pre += (x[j] - s.bDec[j]) * s.wEncT[i * d + j];
                    if (pre <= 0) continue;
                    l0++; fired[i] = true;
                    for (int j = 0; j < d; j++) y[j] += pre * s.wDec[i * d + j];
                }
                int row = w * body + t - 1;
                xs[row] = x; xh[row] = y;
                for (int j = 0; j < d; j++) recon[(t - 1) * d + j] = (float) y[j];
            }
            double[] spliced = pooled(minilm.forward(new int[][]{win}, null, Hooks.of(SITE, a -> System.arraycopy(recon, 0, a.data, a.offset + d, body * d))));
            double[] zero = pooled(minilm.forward(new int[][]{win}, null, Hooks.of(SITE, a -> Arrays.fill(a.data, a.offset + d, a.offset + ctx * d, 0f))));
            cosS += cos(clean, spliced); cosZ += cos(clean, zero);
        }
        int rows = windows * body;
        double err = 0, var = 0;
        for (int j = 0; j < d; j++) {
            double mean = 0;
            for (double[] x : xs) mean += x[j];
            mean /= rows;
            for (int q = 0; q < rows; q++) { var += (xs[q][j] - mean) * (xs[q][j] - mean); err += (xs[q][j] - xh[q][j]) * (xs[q][j] - xh[q][j]); }
        }
        cosS /= windows; cosZ /= windows;
        int dead = 0;
        for (boolean f : fired) if (!f) dead++;

        assertEquals(rows, r.rows());
        assertEquals(l0 / rows, r.l0(), 1e-9);
        assertTrue(r.l0() > 1 && r.l0() < m - 1, "a code of both signs: L0 " + r.l0());
        assertEquals(err / var, r.fvu(), 1e-4 * err / var);
        assertEquals(err / ((double) rows * d), r.mse(), 1e-4 * err / rows / d);
        assertEquals((double) dead / m, r.deadFraction(), 1e-12);
        assertEquals(cosS, r.cosSpliced(), 1e-5);
        assertEquals(cosZ, r.cosZero(), 1e-5);
        assertEquals((cosS - cosZ) / (1 - cosZ), r.embeddingRecovered(), 1e-4);
        assertTrue(cosZ < 0.99, "zeroing the site moves the embedding: " + cosZ);
    }

    @Test void anExactReconstructionRecoversTheEmbedding() {
        int d = minilm.dModel();
        Sae s = new Sae(new SaeConfig(SaeConfig.Architecture.RELU, d, 2 * d, 1, SITE, 3, true, ""));
        for (int j = 0; j < d; j++) {   // relu(x) - relu(-x) = x
            s.wEncT[j * d + j] = 1; s.wEncT[(d + j) * d + j] = -1;
            s.wDec[j * d + j] = 1; s.wDec[(d + j) * d + j] = -1;
        }
        SaeEncoderEval.Result r = SaeEncoderEval.evaluate(minilm, s, text, 32, 3, new Parallel(1), Progress.NONE);
        assertTrue(r.fvu() < 1e-10, "FVU " + r.fvu());
        assertEquals(1.0, r.cosSpliced(), 1e-6);
        assertEquals(1.0, r.embeddingRecovered(), 1e-4);
    }

    /** Mean over the sequence's rows, in doubles, not normalised. */
    private static double[] pooled(EncoderOutput out) {
        int d = out.dModel(), L = out.lengths()[0];
        double[] p = new double[d];
        for (int t = 0; t < L; t++) for (int j = 0; j < d; j++) p[j] += out.hidden()[t * d + j] / L;
        return p;
    }

    private static double cos(double[] a, double[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int j = 0; j < a.length; j++) { ab += a[j] * b[j]; aa += a[j] * a[j]; bb += b[j] * b[j]; }
        return ab / Math.sqrt(aa * bb);
    }
}
