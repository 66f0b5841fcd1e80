package dev.actlab.sparsity;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.Progress;
import dev.actlab.model.eval.Perplexity;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.MlpActivation;
import dev.actlab.model.llama.MlpSpec;
import dev.actlab.model.load.ModelLoader;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * IntrinsicSparsity on the default decoder's weights with its SwiGLU gate given ReLU (a real model
 * with exact zeros) and as it is (SwiGLU: none): the exact zeros against a direct count through
 * hooks, and the PPL-1% point against a perplexity run with its thresholds applied by hooks.
 */
class IntrinsicSparsityTest {
    private static final int CTX = 128;

    private static int[] tokens(LlamaModel m) {
        int[] t = m.tokenizer().encode(CalibrationText.resource(CalibrationText.EVALUATION), true);
        return Arrays.copyOf(t, Math.min(t.length, 384));
    }

    @Test
    void reluModelExactZerosAndPplOnePercentPointAreWhatTheyClaim() throws Exception {
        LlamaModel base = ModelLoader.loadDecoder(Path.of("models/actlab-brown.gguf"));
        LlamaModel relu = new LlamaModel(base.config().withMlp(new MlpSpec(MlpActivation.RELU, true, 0)), base.weights(), base.tokenizer(), "relu");
        int[] tokens = tokens(relu);
        IntrinsicSparsity.Result r = IntrinsicSparsity.run(relu, tokens, CTX, 0.01, 6, Progress.NONE);
        int L = relu.layers();
        // exact zeros, counted directly over the same windows
        long[] zeros = new long[L], total = new long[L];
        Hooks count = new Hooks();
        for (int l = 0; l < L; l++) {
            int layer = l;
            count.add("blocks." + l + ".mlp.hook_post", a -> {
                for (float v : a.toArray()) { if (v == 0f) zeros[layer]++; total[layer]++; }
            });
        }
        double dense = Perplexity.run(relu, tokens, CTX, count, null, null, Progress.NONE).perplexity();
        assertEquals(dense, r.densePerplexity(), 0);
        for (int l = 0; l < L; l++) {
            assertEquals(zeros[l] / (double) total[l], r.layers().get(l).exactZeros(), 1e-12, "layer " + l);
            assertTrue(r.layers().get(l).exactZeros() > 0.3, "a relu gate zeroes a good part of h");
        }
        // the reported point: its thresholds applied by hooks give its perplexity, within 1% of dense
        Hooks truncate = new Hooks();
        long[] zeroed = new long[L];
        for (int l = 0; l < L; l++) {
            int layer = l;
            float t = (float) r.layers().get(l).threshold();
            truncate.add("blocks." + l + ".mlp.hook_post", a -> {
                for (int i = a.offset; i < a.offset + a.size(); i++) {
                    if (Math.abs(a.data[i]) <= t) a.data[i] = 0f;
                    if (a.data[i] == 0f) zeroed[layer]++;
                }
            });
        }
        double ppl = Perplexity.run(relu, tokens, CTX, truncate, null, null, Progress.NONE).perplexity();
        assertEquals(ppl, r.perplexity(), 0);
        assertTrue(ppl <= 1.01 * dense, ppl + " vs dense " + dense);
        assertTrue(r.level() > 0, "some truncation fits in 1%");
        for (int l = 0; l < L; l++) {
            assertEquals(zeroed[l] / (double) total[l], r.layers().get(l).sparsity(), 1e-12);
            assertTrue(r.layers().get(l).sparsity() >= r.layers().get(l).exactZeros());
        }
        // the probe just above the level broke the budget (bisection's invariant)
        double above = r.search().stream().filter(p -> p.level() > r.level()).mapToDouble(IntrinsicSparsity.Probe::perplexity).min().orElse(Double.NaN);
        assertTrue(above > 1.01 * dense, "the next level up costs more than 1%: " + above);
    }

    @Test
    void swiGluHasNoExactZerosButSomePplOnePercentSparsity() throws Exception {
        LlamaModel m = ModelLoader.loadDecoder(Path.of("models/actlab-brown.gguf"));
        IntrinsicSparsity.Result r = IntrinsicSparsity.run(m, tokens(m), CTX, 0.01, 5, Progress.NONE);
        assertTrue(r.exactZeros() < 1e-3, "silu is almost never exactly 0: " + r.exactZeros());
        assertTrue(r.sparsity() > 0.05 && r.perplexity() <= 1.01 * r.densePerplexity(), r.text());
        assertTrue(r.text().contains("PPL-1% sparsity"), r.text());
    }
}
