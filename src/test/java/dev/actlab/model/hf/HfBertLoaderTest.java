package dev.actlab.model.hf;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import dev.actlab.model.bert.BertConfig;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.bert.BertWeights;
import dev.actlab.model.onnx.MiniLm;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.safetensors.SafetensorsWriter;
import dev.actlab.tensor.WeightMatrix;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MiniLM written out in the Hugging Face layout (BertModel names, Linear weights [out, in],
 * config.json, tokenizer.json) and read back: the same weights must give the same bits as the
 * ONNX graph they came from.
 */
class HfBertLoaderTest {
    static float[] rows(WeightMatrix m) {
        float[] out = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++) m.dequantizeRow(r, out, r * m.cols());
        return out;
    }

    static void writeCheckpoint(BertModel onnx, Path dir, String prefix) throws Exception {
        BertConfig c = onnx.config();
        BertWeights w = onnx.weights();
        int d = c.dModel(), m = c.dMlp();
        SafetensorsWriter sw = new SafetensorsWriter();
        String e = prefix + "embeddings.";
        sw.addF32(e + "word_embeddings.weight", w.wordEmbedding(), c.vocabSize(), d);
        sw.addF32(e + "position_embeddings.weight", w.positionEmbedding(), c.maxPositions(), d);
        sw.addF32(e + "token_type_embeddings.weight", w.typeEmbedding(), c.typeVocab(), d);
        sw.addF32(e + "LayerNorm.weight", w.embedNormWeight(), d);
        sw.addF32(e + "LayerNorm.bias", w.embedNormBias(), d);
        for (int l = 0; l < c.layers(); l++) {
            String b = prefix + "encoder.layer." + l + ".";
            sw.addF32(b + "attention.self.query.weight", rows(w.wq()[l]), d, d).addF32(b + "attention.self.query.bias", w.bq()[l], d);
            sw.addF32(b + "attention.self.key.weight", rows(w.wk()[l]), d, d).addF32(b + "attention.self.key.bias", w.bk()[l], d);
            sw.addF32(b + "attention.self.value.weight", rows(w.wv()[l]), d, d).addF32(b + "attention.self.value.bias", w.bv()[l], d);
            sw.addF32(b + "attention.output.dense.weight", rows(w.wo()[l]), d, d).addF32(b + "attention.output.dense.bias", w.bo()[l], d);
            sw.addF32(b + "attention.output.LayerNorm.weight", w.ln1Weight()[l], d).addF32(b + "attention.output.LayerNorm.bias", w.ln1Bias()[l], d);
            sw.addF32(b + "intermediate.dense.weight", rows(w.wIn()[l]), m, d).addF32(b + "intermediate.dense.bias", w.bIn()[l], m);
            sw.addF32(b + "output.dense.weight", rows(w.wOut()[l]), d, m).addF32(b + "output.dense.bias", w.bOut()[l], d);
            sw.addF32(b + "output.LayerNorm.weight", w.ln2Weight()[l], d).addF32(b + "output.LayerNorm.bias", w.ln2Bias()[l], d);
        }
        sw.write(dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu", "hidden_size": %d,
                 "num_hidden_layers": %d, "num_attention_heads": %d, "intermediate_size": %d, "vocab_size": %d,
                 "max_position_embeddings": %d, "type_vocab_size": %d, "layer_norm_eps": 1e-12, "position_embedding_type": "absolute"}
                """.formatted(d, c.layers(), c.heads(), m, c.vocabSize(), c.maxPositions(), c.typeVocab()));
        Files.write(dir.resolve("tokenizer.json"), MiniLm.resource(MiniLm.TOKENIZER_RESOURCE));
    }

    @Test void safetensorsCheckpointGivesTheSameBitsAsTheOnnxGraph(@TempDir Path dir) throws Exception {
        BertModel onnx = MiniLm.load();
        writeCheckpoint(onnx, dir, "bert.");
        assertTrue(HfBertLoader.isBert(dir));
        BertModel hf = HfBertLoader.load(dir);
        int[][] ids = {onnx.tokenizer().encode("Weights from safetensors, the same forward pass.", true), onnx.tokenizer().encode("Short.", true)};
        assertArrayEquals(onnx.forward(ids, null, Hooks.none()).hidden(), hf.forward(ids, null, Hooks.none()).hidden());
    }

    @Test void wrongConfigIsAFormatException(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"bert\", \"hidden_act\": \"relu\"}");
        FormatException e = assertThrows(FormatException.class, () -> HfBertLoader.load(dir));
        assertTrue(e.getMessage().contains("hidden_act"), e.getMessage());
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"bert\", \"hidden_size\": 384}");
        e = assertThrows(FormatException.class, () -> HfBertLoader.load(dir));
        assertTrue(e.getMessage().contains("vocab_size"), e.getMessage());
        // issue 23: a NaN or negative epsilon (Python's json writes NaN) is refused by name, before any weight is read
        for (String eps : new String[]{"NaN", "-1", "0", "\"1e-12\""}) {
            Files.writeString(dir.resolve("config.json"), """
                    {"model_type": "bert", "hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536,
                     "vocab_size": 30522, "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": %s}""".formatted(eps));
            e = assertThrows(FormatException.class, () -> HfBertLoader.load(dir));
            assertEquals("layer_norm_eps", e.field(), e.getMessage());
            assertTrue(e.getMessage().endsWith("is not a finite number in (0.0, 1.0)"), e.getMessage());
        }
    }
}
