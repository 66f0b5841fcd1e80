package dev.actlab.model.hf;

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
    /** Duplicate keys are errors; NaN and Infinity (as Python's json writes them) are read, then refused by field. */
    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

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
        // Qwen2 always has q/k/v biases; Llama and Mistral have none unless attention_bias, which
        // also puts one on o_proj: a bias the forward pass lacks, so that variant is refused
        boolean biased = c.architecture().equals("Qwen2ForCausalLM");
        if (!biased && bool(configFile, cfg, "attention_bias", false)) {
            boolean inFile = t.has("model.layers.0.self_attn.q_proj.bias");
            throw JsonFieldOffsets.error(configFile, "attention_bias", inFile
                    ? "is true: " + c.architecture() + " then has a bias on o_proj too, which actlab's forward pass does not have (not supported)"
                    : "is true but the checkpoint has no attention biases (model.layers.0.self_attn.q_proj.bias is missing)");
        }
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

    /**
     * The decoder shape from config.json; every unsupported option is an error naming its field.
     * RoPE settings are read from both layouts: transformers 5 writes {@code rope_parameters}
     * ({@code rope_theta}, {@code rope_type} and the type's factors inside it), earlier versions
     * top-level {@code rope_theta} and {@code rope_scaling}. A key that changes the math and is not
     * understood is an error, never a default: an unknown rope_type, partial rotary embeddings,
     * per-layer RoPE, an unknown layer type. Numbers are checked (eps in (0, 1), theta above 1,
     * all finite): NaN and Infinity as Python's json writes them are read and refused by name.
     */
    public static LlamaConfig config(Path file, JsonNode cfg) throws FormatException {
        JsonNode archs = cfg.get("architectures");
        String arch = archs != null && archs.isArray() && archs.size() == 1 && archs.get(0).isTextual() ? archs.get(0).asText() : null;
        if (arch == null || !ARCHITECTURES.contains(arch))
            throw JsonFieldOffsets.error(file, "architectures", (archs == null ? "is missing" : archs + " is not supported") + " (supported: " + String.join(", ", new java.util.TreeSet<>(ARCHITECTURES)) + ")");
        String act = text(file, cfg, "hidden_act", "silu");
        if (!act.equals("silu")) throw JsonFieldOffsets.error(file, "hidden_act", "'" + act + "' is not supported (silu)");
        if (bool(file, cfg, "mlp_bias", false)) throw JsonFieldOffsets.error(file, "mlp_bias", "MLP biases are not supported");
        int dim = integer(file, cfg, "hidden_size", -1);
        int heads = integer(file, cfg, "num_attention_heads", -1);
        int kvHeads = integer(file, cfg, "num_key_value_heads", heads);
        if (cfg.hasNonNull("head_dim") && heads > 0 && integer(file, cfg, "head_dim", -1) * heads != dim)
            throw JsonFieldOffsets.error(file, "head_dim", cfg.get("head_dim") + " * num_attention_heads != hidden_size: decoupled head sizes are not supported");
        int maxPositions = integer(file, cfg, "max_position_embeddings", -1);
        int context = maxPositions;
        // no sliding-window attention in the forward pass: stop at the window instead of computing wrongly
        // (below the window, sliding-window attention is full attention, so the logits are exact)
        boolean sliding = arch.equals("Qwen2ForCausalLM") ? bool(file, cfg, "use_sliding_window", false) : cfg.hasNonNull("sliding_window");
        JsonNode layerTypes = cfg.get("layer_types");
        if (layerTypes != null && !layerTypes.isNull()) {
            if (!layerTypes.isArray()) throw JsonFieldOffsets.error(file, "layer_types", "'" + layerTypes + "' is not a list");
            for (int i = 0; i < layerTypes.size(); i++) {
                String t = layerTypes.get(i).asText("");
                if (t.equals("sliding_attention")) sliding = true;
                else if (!t.equals("full_attention"))
                    throw JsonFieldOffsets.error(file, "layer_types[" + i + "]", "'" + layerTypes.get(i) + "' is not supported (full_attention, sliding_attention)");
            }
        }
        if (sliding && cfg.hasNonNull("sliding_window")) context = Math.min(context, integer(file, cfg, "sliding_window", context));
        if (cfg.hasNonNull("partial_rotary_factor") && number(file, cfg, "partial_rotary_factor", 1) != 1)
            throw JsonFieldOffsets.error(file, "partial_rotary_factor", cfg.get("partial_rotary_factor") + ": RoPE on part of each head is not supported");
        Rope rope = rope(file, cfg, maxPositions);
        float eps = bounded(file, "rms_norm_eps", number(file, cfg, "rms_norm_eps", 1e-6), 0, 1);
        try {
            return new LlamaConfig(arch, dim, integer(file, cfg, "intermediate_size", -1), integer(file, cfg, "num_hidden_layers", -1),
                    heads, kvHeads, integer(file, cfg, "vocab_size", -1), context, eps, rope.theta,
                    true, rope.scaling, bool(file, cfg, "tie_word_embeddings", false));
        } catch (IllegalArgumentException e) {
            throw JsonFieldOffsets.error(file, "config", e.getMessage());
        }
    }

    private record Rope(float theta, LlamaConfig.RopeScaling scaling) {}

    /** RoPE theta and scaling from rope_parameters (transformers 5) or rope_theta / rope_scaling (earlier). */
    private static Rope rope(Path file, JsonNode cfg, int maxPositions) throws FormatException {
        JsonNode params = cfg.get("rope_parameters"), legacy = cfg.get("rope_scaling");
        boolean hasParams = params != null && !params.isNull(), hasLegacy = legacy != null && !legacy.isNull();
        if (hasParams && !params.isObject()) throw JsonFieldOffsets.error(file, "rope_parameters", "'" + params + "' is not an object");
        if (hasLegacy && !legacy.isObject()) throw JsonFieldOffsets.error(file, "rope_scaling", "'" + legacy + "' is not an object");
        if (hasParams && hasLegacy && !params.equals(legacy))
            throw JsonFieldOffsets.error(file, "rope_scaling", legacy + " disagrees with rope_parameters " + params + ": which one holds is ambiguous");
        String where = hasParams ? "rope_parameters" : "rope_scaling";
        JsonNode rp = hasParams ? params : hasLegacy ? legacy : JSON.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = rp.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isObject())   // {"full_attention": {...}, "sliding_attention": {...}}
                throw JsonFieldOffsets.error(file, where + "." + e.getKey(), "RoPE parameters per layer type are not supported");
        }
        // theta: inside rope_parameters (transformers 5) or top level (earlier); both present must agree
        // an explicit null is an error (transformers fails on it too), except a top-level null beside rope_parameters' value
        Double inner = rp.has("rope_theta") ? number(file, rp, "rope_theta", where + ".rope_theta") : null;
        Double outer = cfg.hasNonNull("rope_theta") || inner == null && cfg.has("rope_theta") ? number(file, cfg, "rope_theta", "rope_theta") : null;
        if (inner != null && outer != null && !inner.equals(outer))
            throw JsonFieldOffsets.error(file, "rope_theta", outer + " disagrees with " + where + ".rope_theta " + inner + ": transformers 4 and 5 would run different models");
        float theta = bounded(file, inner != null ? where + ".rope_theta" : "rope_theta", inner != null ? inner : outer != null ? outer : 10000.0, 1, Float.MAX_VALUE);
        if (rp.hasNonNull("partial_rotary_factor") && number(file, rp, "partial_rotary_factor", where + ".partial_rotary_factor") != 1)
            throw JsonFieldOffsets.error(file, where + ".partial_rotary_factor", rp.get("partial_rotary_factor") + ": RoPE on part of each head is not supported");
        String typeField = rp.hasNonNull("rope_type") ? "rope_type" : "type";
        JsonNode typeNode = rp.get(typeField);
        if (typeNode != null && !typeNode.isNull() && !typeNode.isTextual())
            throw JsonFieldOffsets.error(file, where + "." + typeField, "'" + typeNode + "' is not a string");
        String type = typeNode == null || typeNode.isNull() ? "default" : typeNode.asText();
        switch (type) {
            case "default" -> { return new Rope(theta, null); }   // newer transformers write {"rope_type": "default"} for plain RoPE
            case "llama3" -> {
                // as transformers: original_max_position_embeddings inside, else top level, else max_position_embeddings
                int orig = rp.has("original_max_position_embeddings") ? integer(file, rp, "original_max_position_embeddings", -1, where + ".original_max_position_embeddings")
                        : cfg.hasNonNull("original_max_position_embeddings") ? integer(file, cfg, "original_max_position_embeddings", -1) : maxPositions;
                try {
                    return new Rope(theta, new LlamaConfig.RopeScaling((float) number(file, rp, "factor", where + ".factor"),
                            (float) number(file, rp, "low_freq_factor", where + ".low_freq_factor"),
                            (float) number(file, rp, "high_freq_factor", where + ".high_freq_factor"), orig));
                } catch (IllegalArgumentException e) {
                    throw JsonFieldOffsets.error(file, where, "invalid llama3 scaling: " + e.getMessage());
                }
            }
            default -> throw JsonFieldOffsets.error(file, where + "." + typeField, "'" + type + "' is not supported (default, llama3)");
        }
    }

    static JsonNode readJson(Path file) throws IOException {
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (n == null || !n.isObject()) throw JsonFieldOffsets.error(file, "(root)", "is not a JSON object");
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            long at = e.getLocation() == null ? 0 : Math.max(0, e.getLocation().getByteOffset());
            throw new FormatException(file, "(json)", at, e.getOriginalMessage());
        }
    }

    private static int integer(Path file, JsonNode cfg, String field, int dflt) throws FormatException {
        return integer(file, cfg, field, dflt, field);
    }

    /** An int; dflt when absent (negative dflt: required). name is the field as reported. */
    private static int integer(Path file, JsonNode cfg, String field, int dflt, String name) throws FormatException {
        JsonNode v = cfg.get(field);
        if (v == null || v.isNull()) {   // null means "the default" here, as in transformers (num_key_value_heads: null)
            if (dflt >= 0) return dflt;
            throw JsonFieldOffsets.error(file, name, v == null ? "is missing" : "is null: an integer is needed");
        }
        if (!v.isIntegralNumber()) throw JsonFieldOffsets.error(file, name, "'" + v + "' is not an integer");
        if (!v.canConvertToInt()) throw JsonFieldOffsets.error(file, name, v + " is too large (at most " + Integer.MAX_VALUE + ")");
        return v.asInt();
    }

    /** A required number (NaN and Infinity included: the caller bounds it). */
    private static double number(Path file, JsonNode cfg, String field, String name) throws FormatException {
        JsonNode v = cfg.get(field);
        if (v == null) throw JsonFieldOffsets.error(file, name, "is missing");
        if (v.isNull()) throw JsonFieldOffsets.error(file, name, "is null: a number is needed");
        if (!v.isNumber()) throw JsonFieldOffsets.error(file, name, "'" + v + "' is not a number");
        return v.asDouble();
    }

    /** A number, dflt when absent; null, a string or anything else is an error, not the default. */
    private static double number(Path file, JsonNode cfg, String field, double dflt) throws FormatException {
        return cfg.get(field) == null ? dflt : number(file, cfg, field, field);
    }

    /** v as a float strictly between min and max and finite, or an error naming the field. */
    private static float bounded(Path file, String field, double v, float min, float max) throws FormatException {
        float x = (float) v;
        if (!(x > min && x < max && Float.isFinite(x)))
            throw JsonFieldOffsets.error(file, field, v + " is not a finite number in (" + min + ", " + (max == Float.MAX_VALUE ? "inf" : max) + ")");
        return x;
    }

    private static boolean bool(Path file, JsonNode cfg, String field, boolean dflt) throws FormatException {
        JsonNode v = cfg.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw JsonFieldOffsets.error(file, field, "'" + v + "' is not true or false");
        return v.asBoolean();
    }

    private static String text(Path file, JsonNode cfg, String field, String dflt) throws FormatException {
        JsonNode v = cfg.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isTextual()) throw JsonFieldOffsets.error(file, field, "'" + v + "' is not a string");
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
                if (map == null || !map.isObject()) throw JsonFieldOffsets.error(index, "weight_map", "is missing or not an object");
                Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String shard = e.getValue().asText("");
                    // a shard is a plain file name beside the index, never a path elsewhere
                    if (!e.getValue().isTextual() || shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.startsWith("."))
                        throw JsonFieldOffsets.error(index, "weight_map." + e.getKey(), "'" + e.getValue() + "' is not a shard file name");
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
        /** Norm weights and biases are small: a NaN or infinity in one is an error here (matrices are checked at the logits). */
        float[] vector(String name, int n) throws FormatException {
            SafetensorsFile f = file(name);
            float[] v = f.floats(name, n);
            for (int i = 0; i < n; i++)
                if (!Float.isFinite(v[i]))
                    throw new FormatException(f.path(), "tensor '" + name + "'[" + i + "]", f.tensor(name).begin(), "is " + v[i] + ", not a finite number");
            return v;
        }
    }
}
