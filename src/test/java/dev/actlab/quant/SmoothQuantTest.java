package dev.actlab.quant;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import org.junit.jupiter.api.Test;

/** SmoothQuant's scales are folded exactly: the float model is unchanged at any alpha. */
class SmoothQuantTest {

    @Test
    void anyAlphaLeavesTheFloatModelUnchanged() throws Exception {
        LlamaModel base = TestModels.brown();
        int[] all = TestModels.brownTokens(base);
        Calibration calib = Calibration.of(all, base.tokenizer().bosId(), 64, 4);
        int[] tokens = java.util.Arrays.copyOf(all, 80);
        float[] want = base.runWithHooks(tokens, Hooks.none());
        for (float alpha : new float[]{0f, 0.5f, 0.85f, 1f}) {
            QuantModel q = QuantModel.of(base);
            new SmoothQuant(alpha, true, true).apply(q, calib, Progress.NONE);
            double d = TestModels.maxAbsDiff(want, q.build().runWithHooks(tokens, Hooks.none()));
            assertTrue(d < 1e-4, "alpha " + alpha + ": logits differ by " + d);
            double moved = TestModels.maxAbsDiff(q.attnNorm(0), base.weights().attnNorm()[0]);
            assertTrue(alpha == 0 ? moved >= 0 : moved > 1e-3, "alpha " + alpha + ": the norm took the scales (" + moved + ")");
        }
    }

    @Test
    void groupedQueryValueScalesOnStories260K() throws Exception {
        LlamaModel base = TestModels.stories260K();          // 8 heads, 4 kv heads: o's scales are shared per value channel
        int[] stream = TestModels.storiesTokens(400);
        Calibration calib = Calibration.of(stream, 1, 64, 4);
        int[] tokens = java.util.Arrays.copyOf(stream, 50);
        float[] want = base.runWithHooks(tokens, Hooks.none());
        QuantModel q = QuantModel.of(base);
        new SmoothQuant(0.5f, true, true).apply(q, calib, Progress.NONE);
        double d = TestModels.maxAbsDiff(want, q.build().runWithHooks(tokens, Hooks.none()));
        assertTrue(d < 1e-4, "logits differ by " + d);
    }

    @Test
    void refusesFoldingIntoARotatedInputAndBadAlpha() throws Exception {
        LlamaModel base = TestModels.stories260K();
        QuantModel q = QuantModel.of(base);
        new HadamardRotation(1, true).apply(q, null, Progress.NONE);
        Calibration calib = Calibration.of(TestModels.storiesTokens(200), 1, 32, 2);
        var e = assertThrows(IllegalArgumentException.class, () -> new SmoothQuant(0.5f, true, false).apply(q, calib, Progress.NONE));
        assertTrue(e.getMessage().contains("rotated online"), e.getMessage());
        new SmoothQuant(0.5f, false, false).apply(q, calib, Progress.NONE);   // norm-folded scales work after a rotation
        assertThrows(IllegalArgumentException.class, () -> new SmoothQuant(1.5f, false, false));
    }
}
