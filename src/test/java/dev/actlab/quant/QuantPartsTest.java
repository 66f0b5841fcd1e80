package dev.actlab.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actlab.io.Progress;
import dev.actlab.model.eval.PairedPerplexity;
import dev.actlab.model.eval.QuantErrorParts;
import dev.actlab.model.llama.LlamaModel;
import org.junit.jupiter.api.Test;

class QuantPartsTest {

    @Test
    void weightOnlyRecipeHasNoActivationPartAndViceVersa() throws Exception {
        LlamaModel base = TestModels.brown();
        int[] tokens = TestModels.brownTokens(base);
        int bos = base.tokenizer().bosId();
        Calibration calib = Calibration.of(tokens, bos, 64, 3);
        int[][] windows = PairedPerplexity.windows(tokens, bos, 64, 0);

        QuantModel w = QuantizeRun.quantize(base, Recipe.parse("hadamard+gptq(w4)"), calib, s -> Progress.NONE);
        QuantErrorParts pw = QuantizeRun.errorParts(base, w, windows, Progress.NONE);
        assertEquals(0, pw.activationPart(), 1e-4, "float weights in the rotated basis: the float model");
        assertEquals(pw.total(), pw.weightPart(), 1e-9);
        assertTrue(pw.weightPart() > 0, pw.toString());
        assertEquals(5, pw.weightsAlone().size());
        for (String l : pw.activationsAlone().keySet()) assertEquals(0, pw.activationPart(l), 1e-4, "layer " + l);
        double sum = 0;
        for (String l : pw.weightsAlone().keySet()) sum += pw.weightPart(l);
        assertTrue(sum > 0.3 * pw.weightPart() && sum < 3 * pw.weightPart(), "layers add up roughly: " + sum + " vs " + pw.weightPart());

        QuantModel a = QuantizeRun.quantize(base, Recipe.parse("smoothquant+rtn(a4)"), calib, s -> Progress.NONE);
        QuantErrorParts pa = QuantizeRun.errorParts(base, a, windows, Progress.NONE);
        assertEquals(0, pa.weightPart(), 1e-4, "no weight was rounded");
        assertTrue(pa.activationPart() > 0.005, pa.toString());
        assertTrue(pa.toJson().containsKey("activation_part_at") && pa.table("layer").contains("activation part"));

        QuantModel both = QuantizeRun.quantize(base, Recipe.parse("rtn(w4,a4)"), calib, s -> Progress.NONE);
        QuantErrorParts pb = QuantizeRun.errorParts(base, both, windows, Progress.NONE);
        assertTrue(pb.activationPart() > 0 && pb.total() > 0, pb.toString());   // the weight part of int4 per channel can go either way on 300 tokens
        assertEquals(pb.total() - pb.weightPart() - pb.activationPart(), pb.interaction(), 1e-12);
        assertTrue(both.weightQuantizer(0, Linear.Q) != null && both.input(0, Linear.Q).quantizer() != null, "the measured model itself is untouched");
    }
}
