package dev.actlab.model.hf;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.io.FormatException;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.model.safetensors.SafetensorsFile;
import dev.actlab.model.tokenizer.HfTokenizerJson;
import dev.actlab.model.tokenizer.Tokenizer;
import dev.actlab.tensor.WeightMatrix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Loads a Hugging Face checkpoint directory of a Llama-family decoder: {@code config.json},
 * {@code model.safetensors} (or shards listed by {@code model.safetensors.index.json}) and,
 * when present, {@code tokenizer.json}. Architectures: LlamaForCausalLM, MistralForCausalLM,
 * Qwen2ForCausalLM (q/k/v biases). HF stores q/k rows permuted for rotate-half RoPE, so the
 * config says ropeHalfSplit = true and the weights are used as they are.
 */
public final class HfLlamaLoader {
    private static final Set<String> ARCHITECTURES = Set.of("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM");
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private HfLlamaLoader() {}

    public static boolean looksLikeCheckpoint(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json"));
    }

    public static LlamaModel load(Path dir) throws IOException {
        Path configFile = dir.resolve("config.json");
        JsonNode cfg = readJson(configFile);
        LlamaConfig c = config(configFile, cfg);
        Tensors t = Tensors.open(dir);
        int L = c.layers(), dim = c.dim(), hidden = c.hiddenDim(), q = c.qDim(), kv = c.kvDim(), V = c.vocabSize();

        WeightMatrix embed = t.matrix("model.embed_tokens.weight", V, dim);
        float[][] attnNorm = new float[L][], ffnNorm = new float[L][];
        WeightMatrix[] wq = new WeightMatrix[L], wk = new WeightMatrix[L], wv = new WeightMatrix[L], wo = new WeightMatrix[L];
        WeightMatrix[] gate = new WeightMatrix[L], up = new WeightMatrix[L], down = new WeightMatrix[L];
        boolean biased = t.has("model.layers.0.self_attn.q_proj.bias");
        float[][] qb = biased ? new float[L][] : null, kb = biased ? new float[L][] : null, vb = biased ? new float[L][] : null;
        for (int l = 0; l < L; l++) {
            String p = "model.layers." + l + ".";
            attnNorm[l] = t.vector(p + "input_layernorm.weight", dim);
            ffnNorm[l] = t.vector(p + "post_attention_layernorm.weight", dim);
            wq[l] = t.matrix(p + "self_attn.q_proj.weight", q, dim);
            wk[l] = t.matrix(p + "self_attn.k_proj.weight", kv, dim);
            wv[l] = t.matrix(p + "self_attn.v_proj.weight", kv, dim);
            wo[l] = t.matrix(p + "self_attn.o_proj.weight", dim, q);
            if (biased) {
                qb[l] = t.vector(p + "self_attn.q_proj.bias", q);
                kb[l] = t.vector(p + "self_attn.k_proj.bias", kv);
                vb[l] = t.vector(p + "self_attn.v_proj.bias", kv);
            }
            gate[l] = t.matrix(p + "mlp.gate_proj.weight", hidden, dim);
            up[l] = t.matrix(p + "mlp.up_proj.weight", hidden, dim);
            down[l] = t.matrix(p + "mlp.down_proj.weight", dim, hidden);
        }
        float[] finalNorm = t.vector("model.norm.weight", dim);
        // tied checkpoints usually omit lm_head.weight; when one is present anyway it is the same values
        WeightMatrix output = c.tiedEmbeddings() && !t.has("lm_head.weight") ? embed : t.matrix("lm_head.weight", V, dim);
        t.requireAllUsed(c.architecture());
        LlamaWeights w = new LlamaWeights(embed, attnNorm, wq, wk, wv, wo, qb, kb, vb, ffnNorm, gate, down, up, finalNorm, output);

        Path tokenizerFile = dir.resolve("tokenizer.json");
        Tokenizer tok = Files.isRegularFile(tokenizerFile) ? HfTokenizerJson.load(tokenizerFile) : null;
        return new LlamaModel(c, w, tok, dir.toString());
    }

    /** The decoder shape from config.json; every unsupported option is an error naming its field. */
    public static LlamaConfig config(Path file, JsonNode cfg) throws FormatException {
        JsonNode archs = cfg.get("architectures");
        String arch = archs != null && archs.isArray() && archs.size() == 1 && archs.get(0).isTextual() ? archs.get(0).asText() : null;
        if (arch == null || !ARCHITECTURES.contains(arch))
            throw new FormatException(file, "architectures", 0, (archs == null ? "is missing" : archs + " is not supported") + " (supported: " + String.join(", ", new java.util.TreeSet<>(ARCHITECTURES)) + ")");
        String act = text(file, cfg, "hidden_act", "silu");
        if (!act.equals("silu")) throw new FormatException(file, "hidden_act", 0, "'" + act + "' is not supported (silu)");
        if (cfg.path("mlp_bias").asBoolean(false)) throw new FormatException(file, "mlp_bias", 0, "MLP biases are not supported");
        int dim = integer(file, cfg, "hidden_size", -1);
        int heads = integer(file, cfg, "num_attention_heads", -1);
        int kvHeads = integer(file, cfg, "num_key_value_heads", heads);
        if (cfg.hasNonNull("head_dim") && heads > 0 && integer(file, cfg, "head_dim", -1) * heads != dim)
            throw new FormatException(file, "head_dim", 0, cfg.get("head_dim") + " * num_attention_heads != hidden_size: decoupled head sizes are not supported");
        int context = integer(file, cfg, "max_position_embeddings", -1);
        // no sliding-window attention in the forward pass: stop at the window instead of computing wrongly
        boolean sliding = arch.equals("Qwen2ForCausalLM") ? cfg.path("use_sliding_window").asBoolean(false) : cfg.hasNonNull("sliding_window");
        if (sliding && cfg.hasNonNull("sliding_window")) context = Math.min(context, integer(file, cfg, "sliding_window", context));
        LlamaConfig.RopeScaling scaling = null;
        JsonNode rs = cfg.get("rope_scaling");
        String ropeType = rs == null || rs.isNull() ? "default" : rs.hasNonNull("rope_type") ? rs.get("rope_type").asText() : rs.path("type").asText("");
        if (ropeType.equals("llama3"))
            scaling = new LlamaConfig.RopeScaling((float) number(file, rs, "factor"), (float) number(file, rs, "low_freq_factor"),
                    (float) number(file, rs, "high_freq_factor"), (int) number(file, rs, "original_max_position_embeddings"));
        else if (!ropeType.equals("default"))   // newer transformers write {"rope_type": "default"} for plain RoPE
            throw new FormatException(file, "rope_scaling.rope_type", 0, "'" + ropeType + "' is not supported (llama3)");
        try {
            return new LlamaConfig(arch, dim, integer(file, cfg, "intermediate_size", -1), integer(file, cfg, "num_hidden_layers", -1),
                    heads, kvHeads, integer(file, cfg, "vocab_size", -1), context,
                    (float) cfg.path("rms_norm_eps").asDouble(1e-6), (float) cfg.path("rope_theta").asDouble(10000),
                    true, scaling, cfg.path("tie_word_embeddings").asBoolean(false));
        } catch (IllegalArgumentException e) {
            throw new FormatException(file, "config", 0, e.getMessage());
        }
    }

    static JsonNode readJson(Path file) throws IOException {
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (n == null || !n.isObject()) throw new FormatException(file, "(root)", 0, "is not a JSON object");
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            long at = e.getLocation() == null ? 0 : Math.max(0, e.getLocation().getByteOffset());
            throw new FormatException(file, "(json)", at, e.getOriginalMessage());
        }
    }

    private static int integer(Path file, JsonNode cfg, String field, int dflt) throws FormatException {
        JsonNode v = cfg.get(field);
        if (v == null || v.isNull()) {
            if (dflt >= 0) return dflt;
            throw new FormatException(file, field, 0, "is missing");
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw new FormatException(file, field, 0, "'" + v + "' is not an integer");
        return v.asInt();
    }

    private static double number(Path file, JsonNode cfg, String field) throws FormatException {
        JsonNode v = cfg.get(field);
        if (v == null || !v.isNumber()) throw new FormatException(file, field, 0, "is missing or not a number");
        return v.asDouble();
    }

    private static String text(Path file, JsonNode cfg, String field, String dflt) throws FormatException {
        JsonNode v = cfg.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isTextual()) throw new FormatException(file, field, 0, "'" + v + "' is not a string");
        return v.asText();
    }

    /** The tensors of a checkpoint, in one file or in shards named by the index. */
    private record Tensors(Path dir, Map<String, SafetensorsFile> byName, Set<String> used) {
        static Tensors open(Path dir) throws IOException {
            Map<String, SafetensorsFile> byName = new HashMap<>();
            Path single = dir.resolve("model.safetensors"), index = dir.resolve("model.safetensors.index.json");
            if (Files.isRegularFile(single)) {
                SafetensorsFile f = SafetensorsFile.open(single);
                for (String n : f.tensors().keySet()) byName.put(n, f);
            } else if (Files.isRegularFile(index)) {
                JsonNode map = readJson(index).get("weight_map");
                if (map == null || !map.isObject()) throw new FormatException(index, "weight_map", 0, "is missing or not an object");
                Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String shard = e.getValue().asText("");
                    // a shard is a plain file name beside the index, never a path elsewhere
                    if (!e.getValue().isTextual() || shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.startsWith("."))
                        throw new FormatException(index, "weight_map." + e.getKey(), 0, "'" + e.getValue() + "' is not a shard file name");
                    SafetensorsFile f = shards.get(shard);
                    if (f == null) { f = SafetensorsFile.open(dir.resolve(shard)); shards.put(shard, f); }
                    if (!f.has(e.getKey())) throw new FormatException(f.path(), "tensor '" + e.getKey() + "'", 0, "is listed in " + index.getFileName() + " but missing");
                    byName.put(e.getKey(), f);
                }
            } else {
                throw new FormatException(dir, "model.safetensors", 0, "neither model.safetensors nor model.safetensors.index.json is in the directory");
            }
            return new Tensors(dir, byName, new java.util.HashSet<>());
        }

        boolean has(String name) { return byName.containsKey(name); }

        SafetensorsFile file(String name) throws FormatException {
            SafetensorsFile f = byName.get(name);
            if (f == null) throw new FormatException(dir, "tensor '" + name + "'", 0, "is missing from the checkpoint");
            used.add(name);
            return f;
        }

        /** A tensor the forward pass would ignore (an o_proj bias, say) means the model is not the one we run. */
        void requireAllUsed(String architecture) throws FormatException {
            for (String name : new java.util.TreeSet<>(byName.keySet())) {
                if (used.contains(name) || name.endsWith(".rotary_emb.inv_freq")) continue;
                throw new FormatException(byName.get(name).path(), "tensor '" + name + "'", 0,
                        "is not part of " + architecture + " as actlab runs it (unsupported variant)");
            }
        }

        WeightMatrix matrix(String name, int rows, int cols) throws FormatException { return file(name).matrix(name, rows, cols); }
        float[] vector(String name, int n) throws FormatException { return file(name).floats(name, n); }
    }
}
