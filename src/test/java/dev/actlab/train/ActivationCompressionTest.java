package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaShape;
import dev.actlab.tensor.Parallel;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ActivationCompressionTest {
    @Test
    void roundTripIsWithinHalfAStepOfItsGroupAndKeepsZerosAndGroupMaxima() {
        int rows = 7, cols = 45, group = 32;   // 45 = one full group and a short one per row
        float[] x = new float[rows * cols];
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < x.length; i++) x[i] = (float) (rng.nextGaussian() * Math.exp(rng.nextGaussian() * 3));
        for (int c = 0; c < cols; c++) x[2 * cols + c] = 0f;   // an all-zero row
        x[5] = 0f;
        CompressedActivation s = new CompressedActivation(rows, cols, group);
        float[] y = new float[x.length];
        try (Parallel par = new Parallel(1)) { s.store(x, par); s.load(y, par); }
        for (int r = 0; r < rows; r++)
            for (int g = 0; g * group < cols; g++) {
                int from = r * cols + g * group, to = Math.min(from + group, (r + 1) * cols);
                float max = 0;
                for (int i = from; i < to; i++) max = Math.max(max, Math.abs(x[i]));
                float scale = s.scale(r, g * group);
                assertEquals(max / 127f, scale, 0f, "scale of row " + r + " group " + g);
                for (int i = from; i < to; i++) {
                    // scalar reference: round-to-nearest code, clamped to +-127, times the scale
                    float code = scale == 0 ? 0 : Math.max(-127f, Math.min(127f, (float) Math.rint(x[i] / scale)));
                    assertEquals(code * scale, y[i], 0f, "element " + i);
                    assertTrue(Math.abs(x[i] - y[i]) <= scale * 0.5f * 1.0001f, "error at " + i + ": " + x[i] + " -> " + y[i]);
                }
            }
        assertEquals(0f, y[5]);
        for (int c = 0; c < cols; c++) assertEquals(0f, y[2 * cols + c]);
        assertEquals(rows * cols + 4L * rows * 2, s.bytes());
    }

    @Test
    void storeIsBitIdenticalWithOneAndThreeThreads() {
        int rows = 100, cols = 96;
        float[] x = new float[rows * cols];
        SplittableRandom rng = new SplittableRandom(9);
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        float[][] y = new float[2][x.length];
        for (int t = 0; t < 2; t++)
            try (Parallel par = new Parallel(t == 0 ? 1 : 3)) {
                CompressedActivation s = new CompressedActivation(rows, cols, 32);
                s.store(x, par);
                s.load(y[t], par);
            }
        assertArrayEquals(y[0], y[1]);
    }

    /** Loss and all parameter gradients of one step, with or without compression. */
    private static float[] lossAndGrads(boolean compress, int[] tokens, int[] targets, int B, int T, int threads) {
        try (Parallel par = new Parallel(threads)) {
            TrainModel m = TrainModelTest.randomModel(TrainModelTest.tiny(), 1).withParallel(par).withActivationCompression(compress);
            m.zeroGrad();
            float loss = m.forward(tokens, targets, B, T);
            m.backward(1f);
            int n = 1;
            for (Param p : m.params()) n += p.size();
            float[] all = new float[n];
            all[0] = loss;
            int off = 1;
            for (Param p : m.params()) { System.arraycopy(p.grad(), 0, all, off, p.size()); off += p.size(); }
            return all;
        }
    }

    @Test
    void lossIsBitIdenticalAndGradientsCloseWithCompression() {
        int[] tokens = TrainModelTest.randomTokens(32, 32, 2), targets = TrainModelTest.randomTokens(32, 32, 3);
        float[] fp = lossAndGrads(false, tokens, targets, 4, 8, 1), cmp = lossAndGrads(true, tokens, targets, 4, 8, 1);
        assertEquals(fp[0], cmp[0], 0f, "forward values are not touched by compression");
        double diff = 0, norm = 0;
        boolean differs = false;
        for (int i = 1; i < fp.length; i++) {
            diff += (double) (fp[i] - cmp[i]) * (fp[i] - cmp[i]);
            norm += (double) fp[i] * fp[i];
            differs |= fp[i] != cmp[i];
        }
        double rel = Math.sqrt(diff / norm);
        // 8-bit codes: a value is off by up to 1/254 of its group's max, about 0.6% rms of a
        // group of 32 Gaussians (max ~ 2.5 sigma); seven rounded tensors per layer feed each
        // gradient, so a few percent at most (measured: about 1.1%)
        assertTrue(rel < 3e-2, "relative gradient error " + rel);
        assertTrue(differs, "the gradients did not change: was compression applied?");
        // and the compressed path is deterministic across threads
        assertArrayEquals(cmp, lossAndGrads(true, tokens, targets, 4, 8, 2));
    }

    @Test
    void aTinyModelOverfitsATinyTextWithCompressedActivations() {
        TrainerTest.assertOverfitsATinyText(true);
    }

    @Test
    void savedActivationsShrinkByAtLeast40PercentOnTheTinyAndSmallPresets() {
        for (LlamaShape p : new LlamaShape[]{LlamaShape.TINY, LlamaShape.SMALL}) {
            LlamaConfig c = p.config(128, TokenStream.BYTE_VOCAB);
            double fp = new TrainModel(c).savedActivationBytesPerToken(2, 128);
            double cmp = new TrainModel(c).withActivationCompression(true).savedActivationBytesPerToken(2, 128);
            assertTrue(cmp <= 0.6 * fp, p + ": " + cmp + " vs " + fp + " bytes/token");
            // FP32 count from the shapes: per layer resid, mid, ln1, ln2 [C]; q, z [Q]; k, v [K];
            // gate, up, h [H]; att [heads * T]; rstd1, rstd2; plus final resid, lnf [C], rstdf, probs [V], token ids
            int C = c.dim(), Q = c.qDim(), K = c.kvDim(), H = c.hiddenDim();
            double perLayer = 4 * C + 2 * Q + 2 * K + 3 * H + c.heads() * 128 + 2;
            assertEquals(4 * (c.layers() * perLayer + 2 * C + 1 + c.vocabSize() + 2), fp, 1e-9, p + " FP32 bytes/token");
        }
    }
}
