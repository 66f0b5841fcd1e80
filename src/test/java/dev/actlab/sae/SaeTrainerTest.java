package dev.actlab.sae;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.Progress;
import dev.actlab.tensor.Parallel;
import java.util.List;
import org.junit.jupiter.api.Test;

class SaeTrainerTest {
    private static SaeTrainer.Result train(SaeTrainer.Options o, Parallel par) throws Exception {
        return SaeTrainer.train(new PlantedFeatures(32, 64, 3, 7), "blocks.0.hook_resid_post", 0, "planted", o, par, Progress.NONE, null);
    }

    @Test void topkRecoversPlantedFeaturesAndFvuFalls() throws Exception {
        SaeTrainer.Options o = new SaeTrainer.Options(SaeConfig.Architecture.TOPK, 3, 4, 3e-3, 256, 256L * 1500, 1, 0, 1.0 / 32, 0, 256L * 50, 50);
        SaeTrainer.Result r = train(o, new Parallel(2));
        List<SaeTrainer.Stats> h = r.history();
        double first = h.get(0).fvu(), last = r.last().fvu();
        assertTrue(last < first / 3, "FVU " + first + " -> " + last);
        assertTrue(last < 0.05, "final FVU " + last);
        assertTrue(r.last().l0() <= 3.0 + 1e-9, "L0 " + r.last().l0());
        double rec = new PlantedFeatures(32, 64, 3, 7).recovered(r.sae(), 0.9);
        assertTrue(rec >= 0.9, "planted directions recovered at cosine 0.9: " + rec);
        // the trained SAE (scaling folded back) reconstructs fresh unscaled data as well as during training
        PlantedFeatures fresh = new PlantedFeatures(32, 64, 3, 7);
        float[] x = new float[512 * 32];
        fresh.next(x, 512);
        float[] xh = r.sae().reconstruct(x, 512, new Parallel(1));
        assertTrue(SaeMetrics.fvu(x, xh, 512, 32) < 0.06, "held-out FVU " + SaeMetrics.fvu(x, xh, 512, 32));
    }

    @Test void reluL1LearnsASparseCode() throws Exception {
        SaeTrainer.Options o = new SaeTrainer.Options(SaeConfig.Architecture.RELU, 0, 4, 3e-3, 256, 256L * 1000, 1, 1.0, 0, 0, 256L * 50, 50);
        SaeTrainer.Result r = train(o, new Parallel(2));
        assertTrue(r.last().fvu() < 0.15, "FVU " + r.last().fvu());
        assertTrue(r.last().l0() < 20, "L0 " + r.last().l0());
        assertTrue(new PlantedFeatures(32, 64, 3, 7).recovered(r.sae(), 0.8) >= 0.9);
    }

    @Test void sameSeedSameBitsWhateverTheThreads() throws Exception {
        SaeTrainer.Options o = new SaeTrainer.Options(SaeConfig.Architecture.TOPK, 4, 4, 1e-3, 128, 128L * 60, 5, 0, 1.0 / 32, 0, 128L * 5, 10);
        Sae a = train(o, new Parallel(1)).sae(), b = train(o, new Parallel(3)).sae();
        assertArrayEquals(a.wEncT, b.wEncT); assertArrayEquals(a.wDec, b.wDec);
        assertArrayEquals(a.bEnc, b.bEnc); assertArrayEquals(a.bDec, b.bDec);
        SaeTrainer.Options o2 = new SaeTrainer.Options(SaeConfig.Architecture.TOPK, 4, 4, 1e-3, 128, 128L * 60, 6, 0, 1.0 / 32, 0, 128L * 5, 10);
        assertFalse(java.util.Arrays.equals(a.wDec, train(o2, new Parallel(1)).sae().wDec), "another seed, other weights");
    }
}
