package dev.actlab.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.load.ModelLoader;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A GGUF without actlab.mlp.* keys runs Llama's SwiGLU as before the MLP became a choice: the
 * fixture holds the logits of models/actlab-brown.gguf at positions 9..11 of the tokens below,
 * written by the code before that change (commit d3adc7a):
 * {@code actlab logits --model models/actlab-brown.gguf --tokens "256 464 2120 1000 37 3000 15 400 2200 999 12 77" --out F}
 * (the last 3 of the 12 rows kept). At the time of the change they were equal bit for bit; the test
 * allows 1e-4 so that a faster matmul that sums in another order still passes.
 */
class SwiGluUnchangedTest {
    @Test
    void ordinaryLlamaFileGivesTheLogitsOfBeforeTheChange() throws Exception {
        LlamaModel m = ModelLoader.loadDecoder(Path.of("models/actlab-brown.gguf"));
        assertEquals(MlpSpec.SWIGLU, m.config().mlp());
        int[] tokens = {256, 464, 2120, 1000, 37, 3000, 15, 400, 2200, 999, 12, 77};
        float[] logits = m.runWithHooks(tokens, Hooks.none());
        int V = m.vocabSize();
        float[] want = new float[3 * V];
        try (InputStream in = getClass().getResourceAsStream("actlab-brown-logits-d3adc7a.f32")) {
            ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(want);
        }
        double worst = 0;
        for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - logits[9 * V + i]));
        assertTrue(worst <= 1e-4, "largest logit difference " + worst);
    }
}
