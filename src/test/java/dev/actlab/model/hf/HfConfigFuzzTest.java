package dev.actlab.model.hf;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.actlab.io.FormatException;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.hook.NonFiniteException;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.tensor.DType;
import dev.actlab.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 23: every number of stories260K's config.json (both RoPE layouts) replaced by NaN,
 * infinities, negatives, zero, huge values and values of the wrong kind. Loading must fail with a
 * FormatException naming the field, or load a model whose logits are finite (or that stops with a
 * NonFiniteException, or refuses a sequence longer than its context): never NaN logits, never
 * another exception, never a value silently replaced by a default.
 */
class HfConfigFuzzTest {
    @TempDir Path tmp;

    static final String[] BAD = {"NaN", "Infinity", "-Infinity", "-1", "0", "1e308", "99999999999", "0.5", "1", "2", "3.5",
            "\"12\"", "true", "[]", "{}", "null"};

    @Test
    void everyBadNumberIsRefusedByNameOrHarmless() throws Exception {
        Path dir = tmp.resolve("ckpt");
        HfCheckpointExport.export(Llama2cReader.read(Shared.stories260K()), dir, DType.F32, 1, true);
        ObjectMapper json = new ObjectMapper();
        ObjectNode v4 = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        ObjectNode v5 = v4.deepCopy();
        v5.remove("rope_theta");
        v5.remove("rope_scaling");
        v5.set("rope_parameters", json.readTree("""
                {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                 "original_max_position_embeddings": 64}"""));
        int runs = 0, refused = 0, loaded = 0;
        for (ObjectNode base : new ObjectNode[]{v4, v5}) {
            java.util.List<String[]> keys = new java.util.ArrayList<>();
            base.fieldNames().forEachRemaining(k -> { if (base.get(k).isNumber()) keys.add(new String[]{k}); });
            if (base.has("rope_parameters")) base.get("rope_parameters").fieldNames().forEachRemaining(k -> {
                if (base.get("rope_parameters").get(k).isNumber()) keys.add(new String[]{"rope_parameters", k});
            });
            for (String[] key : keys)
                for (String bad : BAD) {
                    ObjectNode c = base.deepCopy();
                    ObjectNode parent = key.length == 1 ? c : (ObjectNode) c.get(key[0]);
                    String text = json.writeValueAsString(c);
                    String field = key[key.length - 1];
                    String original = "\"" + field + "\":" + json.writeValueAsString(parent.get(field));
                    assertTrue(text.contains(original), original);
                    Files.writeString(dir.resolve("config.json"), text.replace(original, "\"" + field + "\":" + bad));
                    String what = String.join(".", key) + " = " + bad;
                    runs++;
                    LlamaModel m;
                    try {
                        m = ModelLoader.loadDecoder(dir);
                    } catch (FormatException e) {
                        refused++;
                        assertTrue(e.field().contains(field) || e.field().equals("config") || e.field().startsWith("tensor '") || e.field().startsWith("rope_"),
                                what + ": the error names " + e.field() + ": " + e.getMessage());
                        continue;
                    } catch (Exception e) {
                        fail(what + " threw " + e, e);
                        return;
                    }
                    loaded++;
                    assertFalse(bad.equals("null") && !field.equals("num_key_value_heads"), what + " loaded: a null replaced by a default");
                    try {
                        float[] logits = m.runWithHooks(new int[]{1, 400, 20, 30}, Hooks.none());
                        for (float x : logits) assertTrue(Float.isFinite(x), what + " gave a non-finite logit");
                    } catch (NonFiniteException e) {
                        // stopped, as it must
                    } catch (IllegalArgumentException e) {
                        assertTrue(e.getMessage().contains("context length"), what + ": " + e.getMessage());
                    }
                }
        }
        System.out.println("config.json fuzz: " + runs + " configs, " + refused + " refused by name, " + loaded + " loaded with finite logits or a stop");
        assertTrue(refused > runs / 2, refused + " of " + runs);
    }
}
