package dev.actlab.model.generate;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.testutil.Shared;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Sampler and Generator against definitions computed here: temperature 0 is the argmax; temperature T
 * samples softmax(logits / T); top-p samples only the smallest set of most probable tokens whose mass
 * reaches p, in proportion to their probabilities; the same seed gives the same tokens, another seed
 * other tokens.
 */
class SamplerTest {
    static final int DRAWS = 40_000;

    /** softmax(logits / t) in double. */
    static double[] softmax(float[] logits, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l / t);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) { p[i] = Math.exp(logits[i] / t - max); sum += p[i]; }
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    /** The nucleus: tokens by falling probability until their mass is at least p. */
    static Set<Integer> nucleus(double[] prob, double p) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < prob.length; i++) order.add(i);
        order.sort((a, b) -> Double.compare(prob[b], prob[a]));
        Set<Integer> keep = new HashSet<>();
        double mass = 0;
        for (int i : order) {
            if (mass >= p) break;
            keep.add(i);
            mass += prob[i];
        }
        return keep;
    }

    static float[] randomLogits(int n, long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) l[i] = (float) (r.nextGaussian() * scale);
        return l;
    }

    /** Every drawn token lies in `allowed`, and each token's frequency is within 5 sigma of expected[i]. */
    static void assertSamples(Sampler s, float[] logits, double[] expected, String what) {
        int[] counts = new int[logits.length];
        for (int k = 0; k < DRAWS; k++) counts[s.next(logits)]++;
        for (int i = 0; i < logits.length; i++) {
            double e = expected[i], sigma = Math.sqrt(e * (1 - e) / DRAWS);
            if (e == 0) assertEquals(0, counts[i], what + ": token " + i + " is outside the nucleus but was drawn");
            else assertEquals(e, counts[i] / (double) DRAWS, 5 * sigma + 1e-9, what + ": frequency of token " + i);
        }
    }

    @Test
    void temperatureZeroIsTheArgmaxWhateverTopPAndSeed() {
        for (long seed = 0; seed < 20; seed++) {
            float[] l = randomLogits(300, seed, 3);
            int best = 0;
            for (int i = 0; i < l.length; i++) if (l[i] > l[best]) best = i;
            assertEquals(best, new Sampler(0, 0.3f, seed).next(l));
            assertEquals(best, new Sampler(0, 1f, seed + 99).next(l));
            assertEquals(best, Sampler.argmax(l));
        }
    }

    @Test
    void temperatureSamplesTheSoftmaxOfLogitsOverT() {
        float[] l = randomLogits(12, 7, 1.5);
        for (float t : new float[]{0.5f, 1f, 2f})
            assertSamples(new Sampler(t, 1f, 11), l, softmax(l, t), "T=" + t);
    }

    @Test
    void topPKeepsTheSmallestSetWithMassAtLeastP() {
        float[] l = randomLogits(40, 3, 1);
        for (double p : new double[]{0.3, 0.6, 0.9}) {
            for (float t : new float[]{0.7f, 1.3f}) {
                double[] prob = softmax(l, t);
                Set<Integer> keep = nucleus(prob, p);
                double mass = keep.stream().mapToDouble(i -> prob[i]).sum();
                assertTrue(keep.size() > 1 && keep.size() < l.length, "a real cut: " + keep.size());
                double[] expected = new double[l.length];
                for (int i : keep) expected[i] = prob[i] / mass;
                assertSamples(new Sampler(t, (float) p, 5), l, expected, "top-p " + p + " T=" + t);
            }
        }
        // a dominant token alone reaches p: it is the only choice
        float[] peaked = randomLogits(40, 4, 0.5);
        peaked[17] = 20;
        for (int k = 0; k < 200; k++) assertEquals(17, new Sampler(1f, 0.9f, k).next(peaked));
    }

    @Test
    void theSameSeedGivesTheSameTokensAndAnotherSeedOthers() throws Exception {
        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        int[] prompt = {1};
        int[] a = Generator.generate(m, prompt, 48, new Sampler(1f, 0.95f, 42), Hooks.none(), t -> {}).generatedTokens();
        int[] b = Generator.generate(m, prompt, 48, new Sampler(1f, 0.95f, 42), Hooks.none(), t -> {}).generatedTokens();
        int[] c = Generator.generate(m, prompt, 48, new Sampler(1f, 0.95f, 43), Hooks.none(), t -> {}).generatedTokens();
        assertEquals(48, a.length);
        assertArrayEquals(a, b, "same seed, same tokens");
        assertFalse(Arrays.equals(a, c), "another seed, other tokens");
        int[] greedy = Shared.tokens(Shared.require("reference/stories260K/greedy64.tokens.txt"));
        assertFalse(Arrays.equals(Arrays.copyOfRange(greedy, 1, 49), a), "sampling at T=1 is not greedy decoding");

        // each streamed token is the sampler's choice on the model's logits after the tokens so far
        List<Integer> streamed = new ArrayList<>();
        int[] g = Generator.generate(m, prompt, 10, new Sampler(0.8f, 0.9f, 7), Hooks.none(), streamed::add).generatedTokens();
        assertEquals(Arrays.stream(g).boxed().toList(), streamed);
        Sampler replay = new Sampler(0.8f, 0.9f, 7);
        int[] context = prompt;
        for (int id : g) {
            assertEquals(id, replay.next(m.lastLogits(context, Hooks.none())));
            context = Arrays.copyOf(context, context.length + 1);
            context[context.length - 1] = id;
        }
    }
}
