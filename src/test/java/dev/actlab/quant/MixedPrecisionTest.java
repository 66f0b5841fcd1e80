package dev.actlab.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaModel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MixedPrecisionTest {

    /** Brute force over every allocation: the least summed sensitivity within the budget. */
    static double bruteForce(double[][] sens, int[] cands, long[] params, double budget) {
        int L = sens.length;
        long total = 0;
        for (long p : params) total += p;
        double best = Double.POSITIVE_INFINITY;
        int combos = (int) Math.pow(cands.length, L);
        for (int c = 0; c < combos; c++) {
            int x = c;
            double s = 0, bits = 0;
            for (int l = 0; l < L; l++) { int k = x % cands.length; x /= cands.length; s += sens[l][k]; bits += params[l] * cands[k]; }
            if (bits <= budget * total + 1e-9) best = Math.min(best, s);
        }
        return best;
    }

    @Test
    void allocationIsOptimalAndRespectsTheBudget() {
        SplittableRandom r = new SplittableRandom(5);
        int[] cands = {2, 3, 4, 8};
        for (int trial = 0; trial < 200; trial++) {
            int L = 2 + r.nextInt(4);
            double[][] sens = new double[L][cands.length];
            long[] params = new long[L];
            for (int l = 0; l < L; l++) {
                params[l] = 64L * (1 + r.nextInt(6));
                double s = r.nextDouble() * 2;
                for (int k = 0; k < cands.length; k++) { sens[l][k] = s; s *= r.nextDouble(); }   // more bits, less error
            }
            double budget = 2 + r.nextDouble() * 6;
            int[] bits = MixedPrecision.allocate(sens, cands, params, budget);
            double used = 0, total = 0, got = 0;
            for (int l = 0; l < L; l++) {
                used += params[l] * bits[l]; total += params[l];
                got += sens[l][java.util.Arrays.binarySearch(cands, bits[l])];
            }
            assertTrue(used <= budget * total + 1e-6, "trial " + trial + ": " + used / total + " bits > budget " + budget);
            assertEquals(bruteForce(sens, cands, params, budget), got, 1e-12, "trial " + trial);
        }
        assertThrows(IllegalArgumentException.class, () -> MixedPrecision.allocate(new double[][]{{1, 0}}, new int[]{4, 8}, new long[]{10}, 3.0));
    }

    @Test
    void givesTheSensitiveLayersMoreBitsOnTheDefaultDecoder() throws Exception {
        LlamaModel base = TestModels.brown();
        int[] tokens = TestModels.brownTokens(base);
        Calibration calib = Calibration.of(tokens, base.tokenizer().bosId(), 64, 3);
        QuantModel m = QuantModel.of(base);
        MixedPrecision mp = new MixedPrecision(3.2, new int[]{2, 3, 4}, Granularity.ROW, 3);
        double[][] sens = mp.sensitivity(m, calib, Progress.NONE);
        for (double[] s : sens) assertTrue(s[0] > s[1] && s[1] > s[2], "fewer bits, more KL: " + java.util.Arrays.toString(s));
        mp.apply(m, calib, Progress.NONE);
        double bits = 0;
        int[] perLayer = new int[m.layers()];
        for (int l = 0; l < m.layers(); l++) {
            perLayer[l] = m.weightQuantizer(l, Linear.Q).format().bits();
            for (Linear lin : Linear.values()) assertEquals(perLayer[l], m.weightQuantizer(l, lin).format().bits());
            bits += perLayer[l];
        }
        assertTrue(bits / m.layers() <= 3.2 + 1e-9, "average " + bits / m.layers());
        assertTrue(java.util.Arrays.stream(perLayer).distinct().count() > 1, "16 bits over 5 layers: a mix, " + java.util.Arrays.toString(perLayer));
        int four = -1;
        double gain = -1;
        for (int l = 0; l < sens.length; l++) if (sens[l][1] - sens[l][2] > gain) { gain = sens[l][1] - sens[l][2]; four = l; }
        if (java.util.Arrays.stream(perLayer).noneMatch(b -> b == 2)) assertEquals(4, perLayer[four], "the 4th bit goes where it buys most: " + java.util.Arrays.toString(perLayer));
        assertTrue(m.steps().get(0).contains("bits per layer"), m.steps().toString());
        assertArrayEquals(new int[]{2, 3, 4}, Recipe.parse("mixed(budget=3, min=2, max=4)").steps().stream()
                .map(s -> ((MixedPrecision) s).candidates()).findFirst().orElseThrow());
    }
}
