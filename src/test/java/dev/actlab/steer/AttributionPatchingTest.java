package dev.actlab.steer;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.hook.ActivationCache;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.steer.ActivationPatching.Positions;
import dev.actlab.train.TrainModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Attribution patching against real activation patching on actlab's own decoder, and the
 * metric's logit gradient against finite differences.
 */
class AttributionPatchingTest {
    @Test
    void estimatesFollowRealPatchesOnThePronounPair() throws Exception {
        Path file = Path.of("models/actlab-brown.gguf");
        assumeTrue(Files.isRegularFile(file), "skipped: " + file + " is absent");
        LlamaModel m = ModelLoader.loadDecoder(file);
        int[] clean = m.tokenizer().encode("When the man came home, he said that", true);
        int[] corrupt = m.tokenizer().encode("When the woman came home, she said that", true);
        PatchMetric metric = PatchMetric.parse("logit_diff: he, she", m.tokenizer(), m.config().vocabSize());
        List<String> sites = ActivationPatching.selectSites(m.sites(), List.of("blocks.*.hook_resid_pre", "blocks.*.hook_mlp_out"));
        int T = clean.length, V = m.config().vocabSize();

        var real = ActivationPatching.run(m, clean, corrupt, metric, sites, Positions.EACH, (d, t) -> {});
        Set<String> wanted = Set.copyOf(sites);
        Map<String, float[]> grads = TrainModel.from(m).siteGradients(corrupt, l -> metric.gradient(l, T, V), wanted::contains);
        ActivationCache cc = ActivationPatching.cache(m, clean, sites), kc = ActivationPatching.cache(m, corrupt, sites);
        double[][] each = AttributionPatching.estimate(cc, kc, grads, sites, T, Positions.EACH);
        double[][] all = AttributionPatching.estimate(cc, kc, grads, sites, T, Positions.ALL);

        double[] x = new double[sites.size() * T], y = new double[x.length];
        for (int s = 0; s < sites.size(); s++) {
            double sum = 0;
            for (int p = 0; p < T; p++) {
                x[s * T + p] = real.effect(s, p);
                y[s * T + p] = each[s][p];
                sum += each[s][p];
                if (clean[p] == corrupt[p] && p < 3) assertEquals(0.0, each[s][p], sites.get(s) + " at " + p + ": equal prefixes, no difference to attribute");
            }
            assertEquals(sum, all[s][0], 1e-9 * (1 + Math.abs(sum)), "the estimate is linear in the patch");
        }
        // the first-order estimate is not exact, but a wrong gradient (sign, site, position) would not correlate
        double r = Correlation.pearson(x, y);
        assertTrue(r > 0.9, "Pearson " + r);
        // the patches that restore most of the metric are the same ones, real or estimated
        double gap = real.clean() - real.corrupt();
        java.util.Set<Integer> bigReal = new java.util.TreeSet<>(), bigEstimate = new java.util.TreeSet<>();
        for (int i = 0; i < x.length; i++) {
            if (x[i] / gap > 0.5) bigReal.add(i);
            if (y[i] / gap > 0.5) bigEstimate.add(i);
        }
        assertFalse(bigReal.isEmpty());
        assertEquals(bigReal, bigEstimate, "cells (site * T + position) restoring more than half");
    }

    @Test
    void logprobGradientMatchesFiniteDifferences() {
        float[] logits = new float[3 * 7];
        java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
        for (int i = 0; i < logits.length; i++) logits[i] = (float) rng.nextGaussian() * 3;
        PatchMetric m = new PatchMetric(PatchMetric.Kind.LOGPROB, 4, -1, "logprob:#4");
        float[] g = m.gradient(logits, 3, 7);
        for (int i = 0; i < logits.length; i++) {
            float orig = logits[i];
            logits[i] = orig + 1e-3f;
            double up = m.value(logits, 3, 7);
            logits[i] = orig - 1e-3f;
            double down = m.value(logits, 3, 7);
            logits[i] = orig;
            double numeric = (up - down) / ((double) (orig + 1e-3f) - (double) (orig - 1e-3f));
            assertEquals(numeric, g[i], 1e-3, "d logprob / d logit " + i);
            if (i < 14) assertEquals(0f, g[i], "rows before the last do not count");
        }
    }

    @Test
    void correlationsOfKnownCases() {
        double[] x = {1, 2, 3, 4, 5};
        assertEquals(1.0, Correlation.pearson(x, new double[]{3, 5, 7, 9, 11}), 1e-12);
        assertEquals(-1.0, Correlation.pearson(x, new double[]{5, 4, 3, 2, 1}), 1e-12);
        double[] cubes = {1, 8, 27, 64, 125};
        assertTrue(Correlation.pearson(x, cubes) < 0.99);
        assertEquals(1.0, Correlation.spearman(x, cubes), 1e-12, "monotone: ranks agree exactly");
        assertArrayEquals(new double[]{1, 2.5, 2.5, 4}, Correlation.ranks(new double[]{0, 7, 7, 9}), "ties share the mean rank");
        assertTrue(Double.isNaN(Correlation.pearson(x, new double[]{2, 2, 2, 2, 2})));
    }
}
