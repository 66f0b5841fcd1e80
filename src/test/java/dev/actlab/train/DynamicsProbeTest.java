package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.model.llama.LlamaModel;
import java.util.List;
import org.junit.jupiter.api.Test;

class DynamicsProbeTest {
    @Test
    void figuresEqualADirectComputationOverTheCachedResidualStream_withPlantedMassiveActivations() {
        TrainModel t = new TrainModel(TrainerTest.byteModel(32));
        t.initialize(7);
        // BOS embedding with one huge channel: every sequence's first position carries a massive activation in every layer
        int d = t.config().dim();
        t.embedding().value()[TokenStream.BYTE_BOS * d + 5] = 3000f;
        t.embedding().value()['e' * d + 9] = -400f;
        LlamaModel m = t.toLlamaModel("planted");
        DynamicsProbe probe = DynamicsProbe.heldOut(TrainerTest.data(), 4, 32, null);
        DynamicsProbe.Point p = probe.measure(m, 3, 96);
        assertEquals(3, p.step());
        assertEquals(96, p.tokens());
        JsonNode j = new ObjectMapper().valueToTree(p);
        List<double[]> ref = DynamicsReference.compute(m, probe.sequences(), DynamicsProbe.MASSIVE_ABS, DynamicsProbe.MASSIVE_RATIO);
        DynamicsReference.assertMatches(ref, j.get("layers"));
        for (DynamicsProbe.Layer l : p.layers()) {
            assertEquals(5, l.topChannel());
            assertEquals(0, l.maxPosition());
            assertEquals(TokenStream.BYTE_BOS, l.maxTokenId());
            assertTrue(l.massiveCount() >= 4, "BOS of each of the 4 sequences: " + l.massiveCount());
            assertTrue(l.kurtosis() > 100, "heavy tail: " + l.kurtosis());
        }
        // deterministic: the same weights measure the same, bit for bit
        assertEquals(p, probe.measure(t.toLlamaModel("again"), 3, 96));
    }

    @Test
    void theProbeIsHeldOutWindowsStartingWithBos() {
        TokenStream data = TrainerTest.data();
        DynamicsProbe probe = DynamicsProbe.heldOut(data, 4, 32, null);
        assertEquals(4, probe.sequences().length);
        TokenStream.Batch b = data.heldOutBatch(0, 1, 4, 32);
        for (int s = 0; s < 4; s++) {
            assertEquals(TokenStream.BYTE_BOS, probe.sequences()[s][0]);
            assertArrayEquals(java.util.Arrays.copyOfRange(b.inputs(), s * 32, s * 32 + 32), probe.sequences()[s]);
        }
    }
}
