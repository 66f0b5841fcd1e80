package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TrainModel.siteGradients against central finite differences taken through the inference
 * engine: a hook adds +-eps to one element of a site's activation in LlamaModel's forward pass,
 * and the metric of the last position's logits is read off. The two are different code paths
 * (training ops vs the inference forward pass), so agreement checks both the backward pass and
 * that each gradient belongs to the site it is reported for.
 */
class SiteGradientsTest {
    static LlamaModel model;
    static int[] tokens;
    static final int A = 300, B = 301;   // logit_diff between two ordinary tokens

    @BeforeAll
    static void load() throws Exception {
        Path file = Path.of("models/actlab-brown.gguf");
        assumeTrue(Files.isRegularFile(file), "skipped: " + file + " is absent");
        model = ModelLoader.loadDecoder(file);
        tokens = model.tokenizer().encode("When the man came home, he said that", true);
    }

    /** logit[A] - logit[B] at the last position, with hooks. */
    static double metric(Hooks hooks) {
        float[] last = model.forward(model.newCache(), tokens, hooks, false);
        return (double) last[A] - last[B];
    }

    @Test
    void everyReportedSiteMatchesFiniteDifferencesOfTheInferenceEngine() {
        TrainModel tm = TrainModel.from(model);
        int T = tokens.length, V = model.config().vocabSize();
        List<String> sites = List.of("hook_embed", "blocks.0.hook_resid_pre", "blocks.1.hook_resid_mid", "blocks.2.hook_resid_post",
                "blocks.1.hook_attn_out", "blocks.3.hook_mlp_out", "blocks.2.attn.hook_q", "blocks.2.attn.hook_k", "blocks.2.attn.hook_v",
                "blocks.0.attn.hook_rot_q", "blocks.0.attn.hook_rot_k", "blocks.3.attn.hook_z", "blocks.1.mlp.hook_pre",
                "blocks.1.mlp.hook_pre_linear", "blocks.4.mlp.hook_post");
        Map<String, float[]> grads = tm.siteGradients(tokens, logits -> {
            float[] d = new float[T * V];
            d[(T - 1) * V + A] = 1; d[(T - 1) * V + B] = -1;
            return d;
        }, sites::contains);
        assertEquals(sites.size(), grads.size(), "one gradient per requested site: " + grads.keySet());
        for (Map.Entry<String, float[]> e : tm.siteGradients(tokens, l -> new float[T * V], s -> true).entrySet())
            for (float g : e.getValue()) assertEquals(0.0, Math.abs(g), e.getKey() + ": zero dLogits give zero gradients");

        SplittableRandom rng = new SplittableRandom(7);
        float eps = 1e-2f;
        for (String site : sites) {
            float[] g = grads.get(site);
            double maxAbs = 0;
            int argMax = 0;
            for (int i = 0; i < g.length; i++) if (Math.abs(g[i]) > maxAbs) { maxAbs = Math.abs(g[i]); argMax = i; }
            assertTrue(maxAbs > 0, site + ": gradient is all zero");
            // the largest element and a few random ones of the positions that matter
            int[] picks = {argMax, rng.nextInt(g.length), rng.nextInt(g.length), rng.nextInt(g.length)};
            for (int idx : picks) {
                double up = metric(Hooks.of(site, a -> a.data[a.offset + idx] += eps));
                double down = metric(Hooks.of(site, a -> a.data[a.offset + idx] -= eps));
                double numeric = (up - down) / (2 * eps);
                assertEquals(g[idx], numeric, 0.03 * Math.abs(g[idx]) + 0.01 * maxAbs,
                        site + "[" + idx + "]: analytic " + g[idx] + " vs numeric " + numeric + " (max |grad| " + maxAbs + ")");
            }
        }
    }

    @Test
    void parameterGradsAreLeftAsTheyWere() {
        TrainModel tm = TrainModel.from(model);
        int T = tokens.length, V = model.config().vocabSize();
        for (Param p : tm.params()) java.util.Arrays.fill(p.grad(), 0.25f);   // an accumulation in progress
        tm.siteGradients(tokens, logits -> {
            float[] d = new float[T * V];
            d[(T - 1) * V + A] = 1;
            return d;
        }, s -> true);
        for (Param p : tm.params())
            for (float g : p.grad()) assertEquals(0.25f, g, p.name());
    }

    @Test
    void causalityPositionsAfterTheLastOneGetNoGradient() {
        TrainModel tm = TrainModel.from(model);
        int T = tokens.length, V = model.config().vocabSize(), C = model.config().dim();
        // the metric reads position T - 2: the last position cannot influence it
        Map<String, float[]> grads = tm.siteGradients(tokens, logits -> {
            float[] d = new float[T * V];
            d[(T - 2) * V + A] = 1;
            return d;
        }, s -> s.endsWith("hook_resid_pre"));
        for (Map.Entry<String, float[]> e : grads.entrySet()) {
            float[] g = e.getValue();
            for (int i = (T - 1) * C; i < T * C; i++) assertEquals(0f, g[i], e.getKey());
            double before = 0;
            for (int i = 0; i < (T - 1) * C; i++) before += Math.abs(g[i]);
            assertTrue(before > 0, e.getKey() + ": earlier positions do get a gradient");
        }
    }
}
