package dev.actlab.model.hf;

import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.model.safetensors.SafetensorsWriter;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.WeightMatrix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Test fixture: writes a llama2.c model as a Hugging Face checkpoint directory the way HF's
 * conversion does, permuting each head's q/k rows from adjacent-pair RoPE order to rotate-half
 * order (new row i = old row 2i, new row half + i = old row 2i + 1).
 */
final class HfCheckpointExport {
    private HfCheckpointExport() {}

    /** Writes config.json and the tensors, in `shards` files (1 = model.safetensors). */
    static void export(LlamaModel m, Path dir, DType dtype, int shards, boolean permute) throws IOException {
        LlamaConfig c = m.config();
        LlamaWeights w = m.weights();
        Map<String, float[]> t = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        put(t, shapes, "model.embed_tokens.weight", w.tokenEmbedding());
        for (int l = 0; l < c.layers(); l++) {
            String p = "model.layers." + l + ".";
            put(t, shapes, p + "input_layernorm.weight", w.attnNorm()[l]);
            put(t, shapes, p + "post_attention_layernorm.weight", w.ffnNorm()[l]);
            float[] q = rows(w.wq()[l]), k = rows(w.wk()[l]);
            put(t, shapes, p + "self_attn.q_proj.weight", permute ? toHalfSplit(q, c.heads(), c.headSize(), c.dim()) : q, c.qDim(), c.dim());
            put(t, shapes, p + "self_attn.k_proj.weight", permute ? toHalfSplit(k, c.kvHeads(), c.headSize(), c.dim()) : k, c.kvDim(), c.dim());
            put(t, shapes, p + "self_attn.v_proj.weight", w.wv()[l]);
            put(t, shapes, p + "self_attn.o_proj.weight", w.wo()[l]);
            put(t, shapes, p + "mlp.gate_proj.weight", w.wGate()[l]);
            put(t, shapes, p + "mlp.up_proj.weight", w.wUp()[l]);
            put(t, shapes, p + "mlp.down_proj.weight", w.wDown()[l]);
        }
        put(t, shapes, "model.norm.weight", w.finalNorm());
        if (!c.tiedEmbeddings()) put(t, shapes, "lm_head.weight", w.output());

        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
                 "hidden_size": %d, "intermediate_size": %d, "num_hidden_layers": %d, "num_attention_heads": %d,
                 "num_key_value_heads": %d, "vocab_size": %d, "max_position_embeddings": %d, "rms_norm_eps": 1e-05,
                 "rope_theta": 10000.0, "rope_scaling": null, "tie_word_embeddings": %b, "torch_dtype": "float32"}
                """.formatted(c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), c.vocabSize(), c.contextLength(), c.tiedEmbeddings()));
        String[] names = t.keySet().toArray(String[]::new);
        StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
        for (int s = 0; s < shards; s++) {
            SafetensorsWriter out = new SafetensorsWriter().metadata("format", "pt");
            String file = shards == 1 ? "model.safetensors" : "model-%05d-of-%05d.safetensors".formatted(s + 1, shards);
            for (int i = s; i < names.length; i += shards) {
                out.add(names[i], dtype, t.get(names[i]), shapes.get(names[i]));
                index.append(index.charAt(index.length() - 1) == '{' ? "" : ", ").append('"').append(names[i]).append("\": \"").append(file).append('"');
            }
            out.write(dir.resolve(file));
        }
        if (shards > 1) Files.writeString(dir.resolve("model.safetensors.index.json"), index.append("}}").toString());
    }

    /** w [heads * hs, cols]: within each head, rows [0, 2, 4, ..., 1, 3, 5, ...]. */
    static float[] toHalfSplit(float[] w, int heads, int hs, int cols) {
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < hs / 2; i++) {
                System.arraycopy(w, (h * hs + 2 * i) * cols, out, (h * hs + i) * cols, cols);
                System.arraycopy(w, (h * hs + 2 * i + 1) * cols, out, (h * hs + hs / 2 + i) * cols, cols);
            }
        return out;
    }

    static float[] rows(WeightMatrix m) {
        float[] out = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++) m.dequantizeRow(r, out, r * m.cols());
        return out;
    }

    private static void put(Map<String, float[]> t, Map<String, long[]> shapes, String name, WeightMatrix m) {
        put(t, shapes, name, rows(m), m.rows(), m.cols());
    }

    private static void put(Map<String, float[]> t, Map<String, long[]> shapes, String name, float[] v, long... shape) {
        t.put(name, v);
        shapes.put(name, shape.length == 0 ? new long[]{v.length} : shape);
    }
}
