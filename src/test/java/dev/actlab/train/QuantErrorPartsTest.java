package dev.actlab.train;

import dev.actlab.model.eval.QuantErrorParts;
import dev.actlab.tensor.QuantFormat;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class QuantErrorPartsTest {
    static final int BATCHES = 2, GROUP = 32;
    static Trainer trained;   // a byte model with N(0, 0.1) matrices: its blocks matter enough for 4-bit rounding to move the loss

    @BeforeAll
    static void model() {
        TrainModel m = new TrainModel(TrainerTest.byteModel(32));
        SplittableRandom r = new SplittableRandom(7);
        for (Param p : m.params()) {
            float[] v = p.value();
            for (int i = 0; i < v.length; i++) v[i] = p.decay() ? (float) (r.nextGaussian() * 0.1) : (float) (1 + r.nextGaussian() * 0.2);
        }
        trained = Trainer.fineTune(m, TrainerTest.settings(1, 5), TrainerTest.data());
    }

    @Test
    void sixteenBitQuantizationHasPartsWithin1e5OfZero_fourBitDoesNot() {
        QuantErrorParts p16 = QatFineTune.errorParts(trained, QatSettings.parse("w16a16", GROUP), BATCHES, true);
        for (double part : new double[]{p16.weightPart(), p16.activationPart(), p16.total(), p16.interaction()})
            assertEquals(0, part, 1e-5, p16.toString());
        assertEquals(MatmulInput.values().length, p16.activationsAlone().size());
        for (MatmulInput in : MatmulInput.values()) assertEquals(0, p16.activationPart(in.key), 1e-5, in.key);

        // the same measurement resolves 4-bit rounding: on random weights it moves the loss either way, by far more than 1e-5
        QuantErrorParts p4 = QatFineTune.errorParts(trained, QatSettings.parse("w4a4", GROUP), BATCHES, true);
        assertEquals(p16.fp(), p4.fp(), "the full-precision loss does not depend on the setting measured");
        assertTrue(Math.abs(p4.weightPart()) > 1e-3 && Math.abs(p4.activationPart()) > 1e-3, p4.toString());
        double largestInput = 0;
        for (MatmulInput in : MatmulInput.values()) largestInput = Math.max(largestInput, Math.abs(p4.activationPart(in.key)));
        assertTrue(largestInput > 1e-3, p4.toString());
        assertEquals(p4.both() - p4.fp(), p4.weightPart() + p4.activationPart() + p4.interaction(), 1e-12);
    }

    /** Each loss of the decomposition is the held-out loss of the model explicitly set to that QAT setting. */
    @Test
    void eachPartIsTheLossOfTheModelRunUnderThatSetting() {
        QatSettings run = QatSettings.parse("w4a8", GROUP);
        TrainModel m = trained.model();
        m.withQat(run);
        QuantErrorParts p = QatFineTune.errorParts(trained, run, BATCHES, true);
        assertSame(run, m.qat(), "measuring restores the model's own setting");
        float both = trained.heldOutLoss(BATCHES);
        m.withQat(null);
        float fp = trained.heldOutLoss(BATCHES);
        m.withQat(new QatSettings(QuantFormat.INT4, null, GROUP));
        float w = trained.heldOutLoss(BATCHES);
        m.withQat(new QatSettings(null, QuantFormat.INT8, GROUP));
        float a = trained.heldOutLoss(BATCHES);
        assertEquals(fp, p.fp());
        assertEquals(w, p.weightsOnly());
        assertEquals(a, p.activationsOnly());
        assertEquals(both, p.both());
        for (MatmulInput in : MatmulInput.values()) {
            m.withQat(new QatSettings(null, QuantFormat.INT8, GROUP, EnumSet.of(in)));
            assertEquals(trained.heldOutLoss(BATCHES), p.activationsAlone().get(in.key), in.key);
        }
        // all four inputs named explicitly is the default setting
        m.withQat(new QatSettings(null, QuantFormat.INT8, GROUP, EnumSet.allOf(MatmulInput.class)));
        assertEquals(a, trained.heldOutLoss(BATCHES));
        m.withQat(null);
    }

    @Test
    void roundTripsThroughJson() throws Exception {
        QuantErrorParts p = QatFineTune.errorParts(trained, QatSettings.parse("w4a4", GROUP), BATCHES, true);
        assertEquals(trained.stepsDone(), p.step());
        assertEquals(trained.stepsDone() * trained.settings().tokensPerStep(), p.tokens());
        assertEquals(BATCHES * trained.settings().batch(), p.windows());
        ObjectMapper json = new ObjectMapper();
        QuantErrorParts back = QuantErrorParts.fromJson(json.readTree(json.writeValueAsString(p.toJson())));
        assertEquals(p, back);
        QuantErrorParts noInputs = new QuantErrorParts(3, 384, 8, 4.0, 4.1, 4.2, 4.35, java.util.Map.of(), java.util.Map.of());
        assertEquals(noInputs, QuantErrorParts.fromJson(json.readTree(json.writeValueAsString(noInputs.toJson()))));
        assertEquals(0.05, noInputs.interaction(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> QuantErrorParts.fromJson(json.readTree("{\"step\": 1, \"loss_fp\": \"x\"}")));
    }
}
