package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.MlpActivation;
import dev.actlab.model.llama.MlpSpec;
import dev.actlab.model.load.ModelLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ReLUfication of the default decoder, two steps on a small English text: the curve, the file, its tokenizer. */
class ActivationFineTuneTest {
    @Test
    void reluficationOfTheDefaultDecoderWritesItsCurveAndARunnableReluModel(@TempDir Path dir) throws Exception {
        byte[] text = dev.actlab.sparsity.CalibrationText.resource(dev.actlab.sparsity.CalibrationText.BUILT_IN).getBytes(StandardCharsets.UTF_8);
        TrainSettings proto = new TrainSettings(2, 32, 1, 1e-3f, 1e-4f, 1, 1, 0.1f, 1f, 5, 0.5f, "sine");
        Path from = Path.of("models/actlab-brown.gguf");
        MlpSpec relu = new MlpSpec(MlpActivation.RELU, true, 0);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Map<String, Object> r = ActivationFineTune.run(from, relu, text, dir, proto, 2 * 2 * 32, 1, 1, 2, "relufied", new PrintStream(log, true));
        JsonNode j = new ObjectMapper().readTree(dir.resolve("relufication.json").toFile());
        assertEquals(2, j.get("steps").asInt());
        assertEquals(3, j.get("curve").size(), "step 0 and after each step");
        assertEquals(0.0, j.get("source").get("exact_zeros").asDouble(), 1e-3, "SwiGLU has (almost) no exact zeros");
        assertTrue(j.get("curve").get(0).get("exact_zeros").asDouble() > 0.3, "a relu gate zeroes much of h at once");
        assertEquals(r.get("gguf"), dir.resolve("model.gguf").toString());
        LlamaModel m = ModelLoader.loadDecoder(dir.resolve("model.gguf"));
        assertEquals(relu, m.config().mlp());
        assertArrayEquals(ModelLoader.loadDecoder(from).tokenizer().encode("The jury said", true), m.tokenizer().encode("The jury said", true));
        assertTrue(Files.readString(dir.resolve("relufication.html")).contains("<svg"));
    }
}
