package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.tensor.Parallel;
import dev.actlab.testutil.Shared;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TrainModelTest {
    /** dim 16, hidden 40, 2 layers, 4 heads over 2 kv heads, vocab 32, context 8. */
    static LlamaConfig tiny() {
        return new LlamaConfig("llama", 16, 40, 2, 4, 2, 32, 8, 1e-5f, 10000f, false, null, true);
    }

    /** Weights large enough that every path carries a gradient well above float noise. */
    static TrainModel randomModel(LlamaConfig c, long seed) {
        TrainModel m = new TrainModel(c);
        SplittableRandom r = new SplittableRandom(seed);
        for (Param p : m.params()) {
            float[] v = p.value();
            for (int i = 0; i < v.length; i++) v[i] = p.decay() ? (float) (r.nextGaussian() * 0.3) : (float) (1 + r.nextGaussian() * 0.2);
        }
        return m;
    }

    static int[] randomTokens(int n, int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    @Test
    void fullModelLossGradientMatchesFiniteDifferences() {
        LlamaConfig c = tiny();
        int B = 2, T = 8;
        try (Parallel par = new Parallel(2)) {
            TrainModel m = randomModel(c, 1).withParallel(par);
            int[] tokens = randomTokens(B * T, c.vocabSize(), 2), targets = randomTokens(B * T, c.vocabSize(), 3);
            m.zeroGrad();
            m.forward(tokens, targets, B, T);
            m.backward(1f);
            long seed = 10;
            for (Param p : m.params()) {
                // every tensor of both blocks, the norms, and the tied embedding/unembedding
                GradCheck.check(p.name(), p.value(), p.grad().clone(), () -> m.forward(tokens, targets, B, T),
                        1e-2f, 3e-2, 3e-3, 24, seed++);
            }
        }
    }

    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        LlamaConfig c = tiny();
        TrainModel m = randomModel(c, 1);
        int[] tokens = randomTokens(16, 32, 2), targets = randomTokens(16, 32, 3);
        m.zeroGrad();
        m.forward(tokens, targets, 2, 8);
        m.backward(1f);
        float[] once = m.layer(1).wq().grad().clone();
        m.forward(tokens, targets, 2, 8);
        m.backward(1f);
        float[] twice = m.layer(1).wq().grad();
        for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], twice[i], 1e-6f * Math.max(1, Math.abs(once[i])));
    }

    @Test
    void twoHalfBatchesAtHalfWeightGiveTheGradientOfTheWholeBatch() {
        LlamaConfig c = tiny();
        int T = 8;
        int[] tokens = randomTokens(4 * T, 32, 2), targets = randomTokens(4 * T, 32, 3);
        TrainModel whole = randomModel(c, 1), halves = randomModel(c, 1);
        whole.zeroGrad();
        whole.forward(tokens, targets, 4, T);
        whole.backward(1f);
        halves.zeroGrad();
        for (int h = 0; h < 2; h++) {
            halves.forward(java.util.Arrays.copyOfRange(tokens, h * 2 * T, (h + 1) * 2 * T),
                    java.util.Arrays.copyOfRange(targets, h * 2 * T, (h + 1) * 2 * T), 2, T);
            halves.backward(0.5f);
        }
        for (int p = 0; p < whole.params().size(); p++) {
            float[] a = whole.params().get(p).grad(), b = halves.params().get(p).grad();
            for (int i = 0; i < a.length; i++)
                assertEquals(a[i], b[i], 1e-5f + 1e-4f * Math.abs(a[i]), whole.params().get(p).name() + "[" + i + "]");
        }
    }

    @Test
    void lossAndGradientsAreBitIdenticalWithOneAndTwoThreads() {
        LlamaConfig c = tiny();
        int[] tokens = randomTokens(32, 32, 2), targets = randomTokens(32, 32, 3);
        float[][] grads = new float[2][];
        float[] loss = new float[2];
        for (int threads = 1; threads <= 2; threads++) {
            try (Parallel par = new Parallel(threads)) {
                TrainModel m = randomModel(c, 1).withParallel(par);
                m.zeroGrad();
                loss[threads - 1] = m.forward(tokens, targets, 4, 8);
                m.backward(1f);
                int n = 0;
                for (Param p : m.params()) n += p.size();
                float[] all = new float[n];
                int off = 0;
                for (Param p : m.params()) { System.arraycopy(p.grad(), 0, all, off, p.size()); off += p.size(); }
                grads[threads - 1] = all;
            }
        }
        assertEquals(loss[0], loss[1], 0f);
        assertArrayEquals(grads[0], grads[1]);
    }

    @Test
    void trainingForwardAgreesWithTheInferenceForward() {
        LlamaConfig c = tiny();
        TrainModel m = randomModel(c, 5);
        int B = 3, T = 8, V = c.vocabSize();
        int[] tokens = randomTokens(B * T, V, 6);
        float[] train = m.logits(tokens, B, T).clone();
        LlamaModel inference = m.toLlamaModel("exported");
        for (int b = 0; b < B; b++) {
            int[] seq = java.util.Arrays.copyOfRange(tokens, b * T, (b + 1) * T);
            float[] ref = inference.runWithHooks(seq, Hooks.none());
            for (int i = 0; i < T * V; i++)
                assertEquals(ref[i], train[b * T * V + i], 1e-4f, "sequence " + b + " logit " + i);
        }
    }

    @Test
    void stories260KImportedForTrainingGivesTheCOriginalsLogits() throws Exception {
        int[] tokens = Shared.tokens(Shared.require("reference/stories260K/seq1.tokens.txt"));
        float[] expected = Shared.f32(Shared.require("reference/stories260K/seq1.logits.f32"));
        TrainModel m = TrainModel.from(Llama2cReader.read(Shared.stories260K()));
        float[] logits = m.logits(tokens, 1, tokens.length);
        assertEquals(expected.length, tokens.length * m.config().vocabSize());
        float worst = 0;
        for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - logits[i]));
        assertTrue(worst < 1e-4f, "max |diff| vs run.c " + worst);
    }
}
