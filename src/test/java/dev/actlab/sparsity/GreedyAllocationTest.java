package dev.actlab.sparsity;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** TEAL's block-wise greedy allocation on the Brown decoder. */
class GreedyAllocationTest {
    @Test
    void everyBlockKeepsTheMeanTargetWithSitesAtLevelsOfTheirOwnAndLessBlockError() throws Exception {
        LlamaModel m = TealTest.brown();
        CalibrationText calib = CalibrationText.of(m, null, 512);
        double target = 0.5;
        SiteDistributions d = SiteDistributions.collect("teal", m, calib, Progress.NONE);
        Thresholds greedy = GreedyAllocation.allocate(m, d, calib.tokens(), target, Progress.NONE);
        Thresholds uniform = d.uniform(target);
        assertEquals("greedy", greedy.allocation());
        int layers = m.config().layers();
        int[] tokens = Arrays.copyOf(calib.tokens(), GreedyAllocation.TOKENS);
        boolean uneven = false;
        double gSum = 0, uSum = 0;
        for (int l = 0; l < layers; l++) {
            double[] w = GreedyAllocation.siteWeights(m.weights(), l, d);
            double mean = 0, total = 0;
            for (SiteKind k : SiteKind.values()) {
                Thresholds.Site s = greedy.site(l, k);
                mean += s.target() * w[k.ordinal()];
                total += w[k.ordinal()];
                assertEquals(s.target(), s.calibratedSparsity(), 0.01, s.name());
                if (Math.abs(s.target() - target) > 0.04) uneven = true;
            }
            assertEquals(target, mean / total, 1e-6, "block " + l + " weighted mean");
            gSum += blockError(m, greedy, l, tokens);
            uSum += blockError(m, uniform, l, tokens);
        }
        assertTrue(uneven, "greedy moved some site away from the uniform target");
        assertTrue(gSum < uSum, "summed block output error: greedy " + gSum + ", uniform " + uSum);
    }

    /** Relative squared error of block l's output, only block l sparsified, measured independently of GreedyAllocation. */
    static double blockError(LlamaModel m, Thresholds th, int l, int[] tokens) {
        java.util.List<Thresholds.Site> only = th.sites().stream().filter(s -> s.layer() == l).toList();
        Thresholds one = new Thresholds(th.method(), th.allocation(), th.target(), th.layers(), 0, "", only);
        float[][] y = new float[2][];
        Hooks a = new Hooks(), b = new Hooks();
        a.add(HookSite.RESID_POST.nameAt(l), x -> y[0] = Arrays.copyOfRange(x.data, x.offset, x.offset + x.size()));
        b.add(HookSite.RESID_POST.nameAt(l), x -> y[1] = Arrays.copyOfRange(x.data, x.offset, x.offset + x.size()));
        m.run(tokens, a);
        SparseModel.of(m, one, false).model().run(tokens, b);
        double num = 0, den = 0;
        for (int i = 0; i < y[0].length; i++) { double e = y[1][i] - y[0][i]; num += e * e; den += (double) y[0][i] * y[0][i]; }
        return num / den;
    }

    @Test
    void catsHasOneSitePerBlockSoGreedyEqualsUniform() throws Exception {
        LlamaModel m = TealTest.brown();
        CalibrationText calib = CalibrationText.of(m, null, 256);
        SiteDistributions d = SiteDistributions.collect("cats", m, calib, Progress.NONE);
        Thresholds g = GreedyAllocation.allocate(m, d, calib.tokens(), 0.5, Progress.NONE), u = d.uniform(0.5);
        for (int i = 0; i < u.sites().size(); i++) assertEquals(u.sites().get(i).threshold(), g.sites().get(i).threshold(), 0f);
    }
}
