package dev.actlab.model.hf;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.safetensors.SafetensorsWriter;
import dev.actlab.tensor.DType;
import dev.actlab.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 23: transformers 5 keeps RoPE settings in {@code rope_parameters} instead of top-level
 * {@code rope_theta} / {@code rope_scaling}; actlab ignored the key and silently ran theta 10000.
 *
 * <p>The fixture configs below are written by hand: transformers cannot be installed on these
 * machines (Debian has no python3-transformers package and PyPI is not reachable), so they follow
 * the layout transformers 5 serializes — its RopeParameters dict ({@code rope_theta},
 * {@code rope_type}, and for llama3 {@code factor}, {@code low_freq_factor},
 * {@code high_freq_factor}, {@code original_max_position_embeddings}), {@code dtype} instead of
 * {@code torch_dtype}, {@code layer_types} for Qwen2, no top-level {@code rope_theta}. The weights
 * are stories260K's (exported by HfCheckpointExport), and the expected logits come from actlab's
 * own top-level-key path (the layout that matched transformers to 1e-5 in the issue) on the same
 * weights: both layouts must give the same bits, and both must differ from theta 10000.
 */
class HfRopeParametersTest {
    @TempDir Path tmp;
    Path dir;
    int[] tokens;

    @BeforeEach
    void export() throws Exception {
        dir = tmp.resolve("ckpt");
        HfCheckpointExport.export(Llama2cReader.read(Shared.stories260K()), dir, DType.F32, 1, true);
        tokens = Shared.tokens(Shared.require("reference/stories260K/seq2.tokens.txt"));
    }

    /** A config.json for stories260K's shape; `extra` is spliced in as the architecture-specific and RoPE keys. */
    static String config(String architecture, String modelType, String extra) {
        return """
                {
                  "architectures": ["%s"],
                  "attention_dropout": 0.0,
                  "bos_token_id": 1,
                  "dtype": "float32",
                  "eos_token_id": 2,
                  "hidden_act": "silu",
                  "hidden_size": 64,
                  "initializer_range": 0.02,
                  "intermediate_size": 172,
                  "max_position_embeddings": 512,
                  "model_type": "%s",
                  "num_attention_heads": 8,
                  "num_hidden_layers": 5,
                  "num_key_value_heads": 4,
                  "rms_norm_eps": 1e-05,
                  "tie_word_embeddings": true,
                  "transformers_version": "5.0.0",
                  "use_cache": true,
                  "vocab_size": 512,
                  %s
                }
                """.formatted(architecture, modelType, extra);
    }

    /** The keys transformers 5's LlamaConfig writes besides the shape. */
    static final String LLAMA5 = "\"attention_bias\": false, \"head_dim\": 8, \"mlp_bias\": false, \"pretraining_tp\": 1, ";

    float[] logits(String configJson) throws Exception {
        Files.writeString(dir.resolve("config.json"), configJson);
        return ModelLoader.loadDecoder(dir).runWithHooks(tokens, Hooks.none());
    }

    LlamaConfig loadedConfig(String configJson) throws Exception {
        Files.writeString(dir.resolve("config.json"), configJson);
        return ModelLoader.loadDecoder(dir).config();
    }

    FormatException rejected(String configJson) throws Exception {
        Files.writeString(dir.resolve("config.json"), configJson);
        return assertThrows(FormatException.class, () -> ModelLoader.loadDecoder(dir));
    }

    static float maxAbsDiff(float[] a, float[] b) { return HfLlamaLoaderTest.maxAbsDiff(a, b); }

    void sameAsTopLevelKeysAndNotTheDefaultTheta(String v5, String v4, String plain) throws Exception {
        float[] expected = logits(v4);
        float[] got = logits(v5);
        assertArrayEquals(expected, got, "rope_parameters layout must give the logits of the top-level layout");
        float d = maxAbsDiff(logits(plain), got);
        assertTrue(d > 1e-3, "the RoPE settings must change the logits (else this test proves nothing): max |diff| " + d);
    }

    @Test
    void llamaWithTheta5e5() throws Exception {
        sameAsTopLevelKeysAndNotTheDefaultTheta(
                config("LlamaForCausalLM", "llama", LLAMA5 + "\"rope_parameters\": {\"rope_theta\": 500000.0, \"rope_type\": \"default\"}"),
                config("LlamaForCausalLM", "llama", "\"rope_theta\": 500000.0, \"rope_scaling\": null"),
                config("LlamaForCausalLM", "llama", "\"rope_theta\": 10000.0"));
        assertEquals(500000f, loadedConfig(config("LlamaForCausalLM", "llama", LLAMA5 + "\"rope_parameters\": {\"rope_theta\": 500000.0, \"rope_type\": \"default\"}")).ropeTheta());
    }

    @Test
    void llamaWithLlama3Scaling() throws Exception {
        // original context 64 (not Llama 3's 8192) so that the scaling reaches frequencies that matter within 32 positions
        String v5 = config("LlamaForCausalLM", "llama", LLAMA5 + """
                "rope_parameters": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                    "original_max_position_embeddings": 64, "rope_theta": 500000.0, "rope_type": "llama3"}""");
        String v4 = config("LlamaForCausalLM", "llama", """
                "rope_theta": 500000.0,
                "rope_scaling": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                 "original_max_position_embeddings": 64, "rope_type": "llama3"}""");
        sameAsTopLevelKeysAndNotTheDefaultTheta(v5, v4, config("LlamaForCausalLM", "llama", "\"rope_theta\": 500000.0"));
        assertEquals(new LlamaConfig.RopeScaling(8f, 1f, 4f, 64), loadedConfig(v5).ropeScaling());
        // as transformers: without original_max_position_embeddings in rope_parameters, max_position_embeddings
        String noOrig = config("LlamaForCausalLM", "llama", LLAMA5 + """
                "rope_parameters": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0, "rope_theta": 500000.0, "rope_type": "llama3"}""");
        assertEquals(new LlamaConfig.RopeScaling(8f, 1f, 4f, 512), loadedConfig(noOrig).ropeScaling());
    }

    /** Qwen2 as transformers 5 writes it: layer_types, use_sliding_window false, sliding_window null. */
    @Test
    void qwen2WithTheta1e6() throws Exception {
        addZeroQkvBiases();
        String layers = "\"layer_types\": [\"full_attention\", \"full_attention\", \"full_attention\", \"full_attention\", \"full_attention\"], "
                + "\"max_window_layers\": 5, \"use_sliding_window\": false, \"sliding_window\": null, ";
        sameAsTopLevelKeysAndNotTheDefaultTheta(
                config("Qwen2ForCausalLM", "qwen2", layers + "\"rope_parameters\": {\"rope_theta\": 1000000.0, \"rope_type\": \"default\"}"),
                config("Qwen2ForCausalLM", "qwen2", "\"use_sliding_window\": false, \"rope_theta\": 1000000.0"),
                config("Qwen2ForCausalLM", "qwen2", "\"use_sliding_window\": false"));
    }

    @Test
    void mistralWithTheta1e6() throws Exception {
        sameAsTopLevelKeysAndNotTheDefaultTheta(
                config("MistralForCausalLM", "mistral", "\"head_dim\": 8, \"sliding_window\": null, \"rope_parameters\": {\"rope_theta\": 1000000.0, \"rope_type\": \"default\"}"),
                config("MistralForCausalLM", "mistral", "\"sliding_window\": null, \"rope_theta\": 1000000.0"),
                config("MistralForCausalLM", "mistral", "\"sliding_window\": null"));
    }

    /** rope_scaling equal to rope_parameters (a config that carries both) is fine; different values are ambiguous. */
    @Test
    void bothLayoutsMustAgree() throws Exception {
        String rp = "{\"rope_theta\": 500000.0, \"rope_type\": \"default\"}";
        assertEquals(500000f, loadedConfig(config("LlamaForCausalLM", "llama", "\"rope_parameters\": " + rp + ", \"rope_scaling\": " + rp)).ropeTheta());
        assertEquals(500000f, loadedConfig(config("LlamaForCausalLM", "llama", "\"rope_theta\": 500000.0, \"rope_parameters\": " + rp)).ropeTheta());
        // a top-level null beside rope_parameters (some tools write that) is no disagreement; alone it is no theta
        assertEquals(500000f, loadedConfig(config("LlamaForCausalLM", "llama", "\"rope_theta\": null, \"rope_parameters\": " + rp)).ropeTheta());
        FormatException nothing = rejected(config("LlamaForCausalLM", "llama", "\"rope_theta\": null"));
        assertTrue(nothing.getMessage().endsWith("rope_theta at offset " + nothing.offset() + ": is null: a number is needed"), nothing.getMessage());
        FormatException e = rejected(config("LlamaForCausalLM", "llama", "\"rope_theta\": 10000.0, \"rope_parameters\": " + rp));
        assertEquals("rope_theta", e.field());
        assertTrue(e.getMessage().contains("10000.0 disagrees with rope_parameters.rope_theta 500000.0"), e.getMessage());
        FormatException s = rejected(config("LlamaForCausalLM", "llama", "\"rope_parameters\": " + rp
                + ", \"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 2.0}"));
        assertEquals("rope_scaling", s.field());
    }

    @Test
    void ropeKeysThatChangeTheMathAndAreNotUnderstoodAreErrors() throws Exception {
        FormatException yarn = rejected(config("LlamaForCausalLM", "llama",
                "\"rope_parameters\": {\"rope_theta\": 10000.0, \"rope_type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 128}"));
        assertEquals("rope_parameters.rope_type", yarn.field());
        assertTrue(yarn.getMessage().contains("'yarn' is not supported (default, llama3)"), yarn.getMessage());
        FormatException legacy = rejected(config("LlamaForCausalLM", "llama", "\"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2.0}"));
        assertEquals("rope_scaling.type", legacy.field());
        FormatException partial = rejected(config("LlamaForCausalLM", "llama",
                "\"rope_parameters\": {\"rope_theta\": 10000.0, \"rope_type\": \"default\", \"partial_rotary_factor\": 0.5}"));
        assertEquals("rope_parameters.partial_rotary_factor", partial.field());
        assertEquals("partial_rotary_factor", rejected(config("LlamaForCausalLM", "llama", "\"partial_rotary_factor\": 0.25")).field());
        FormatException perLayer = rejected(config("LlamaForCausalLM", "llama",
                "\"rope_parameters\": {\"full_attention\": {\"rope_theta\": 1000000.0, \"rope_type\": \"default\"}, \"sliding_attention\": {\"rope_theta\": 10000.0, \"rope_type\": \"default\"}}"));
        assertEquals("rope_parameters.full_attention", perLayer.field());
        FormatException layerType = rejected(config("LlamaForCausalLM", "llama",
                "\"layer_types\": [\"full_attention\", \"chunked_attention\", \"full_attention\", \"full_attention\", \"full_attention\"]"));
        assertEquals("layer_types[1]", layerType.field());
        FormatException llama3 = rejected(config("LlamaForCausalLM", "llama",
                "\"rope_parameters\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 4.0, \"high_freq_factor\": 1.0}"));
        assertEquals("rope_parameters", llama3.field());
        assertTrue(llama3.getMessage().contains("high_freq_factor = 1.0 is not a finite number above low_freq_factor = 4.0"), llama3.getMessage());
        assertEquals("rope_parameters.factor", rejected(config("LlamaForCausalLM", "llama",
                "\"rope_parameters\": {\"rope_type\": \"llama3\", \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0}")).field());
    }

    @Test
    void attentionBiasWithoutBiasesInTheFileIsAnError() throws Exception {
        FormatException e = rejected(config("LlamaForCausalLM", "llama", "\"attention_bias\": true"));
        assertEquals("attention_bias", e.field());
        assertTrue(e.getMessage().contains("is true but the checkpoint has no attention biases (model.layers.0.self_attn.q_proj.bias is missing)"), e.getMessage());
        addZeroQkvBiases();   // with them: Llama's attention_bias puts a bias on o_proj too, which the forward pass lacks
        FormatException with = rejected(config("LlamaForCausalLM", "llama", "\"attention_bias\": true"));
        assertTrue(with.getMessage().contains("then has a bias on o_proj too"), with.getMessage());
        // and q/k/v biases in a Llama file whose config says no attention_bias: transformers would ignore them
        FormatException ignored = rejected(config("LlamaForCausalLM", "llama", "\"attention_bias\": false"));
        assertEquals("tensor 'model.layers.0.self_attn.k_proj.bias'", ignored.field());
    }

    @Test
    void nonFiniteOrOutOfRangeHyperparametersAreErrorsNamingTheField() throws Exception {
        String base = config("LlamaForCausalLM", "llama", "\"rope_theta\": 10000.0");
        for (String bad : new String[]{"-1", "0", "NaN", "Infinity", "1e-60", "2.0"}) {
            FormatException e = rejected(base.replace("\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": " + bad));
            assertEquals("rms_norm_eps", e.field(), bad);
            assertTrue(e.getMessage().contains("is not a finite number in (0.0, 1.0)"), e.getMessage());
        }
        for (String bad : new String[]{"-10000.0", "0", "NaN", "-Infinity", "1e300"}) {
            FormatException e = rejected(base.replace("\"rope_theta\": 10000.0", "\"rope_theta\": " + bad));
            assertEquals("rope_theta", e.field(), bad);
            assertTrue(e.getMessage().contains("is not a finite number in (1.0, inf)"), e.getMessage());
        }
        FormatException inner = rejected(config("LlamaForCausalLM", "llama", "\"rope_parameters\": {\"rope_theta\": NaN, \"rope_type\": \"default\"}"));
        assertEquals("rope_parameters.rope_theta", inner.field());
        // a string where a number belongs is an error, not the default
        // the offset is where the field stands in config.json
        String nan = base.replace("\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": NaN");
        assertEquals(nan.indexOf("\"rms_norm_eps\""), rejected(nan).offset());
        assertEquals(config("LlamaForCausalLM", "llama", "\"rope_parameters\": {\"rope_theta\": NaN, \"rope_type\": \"default\"}").indexOf("\"rope_theta\""), inner.offset());
        FormatException text = rejected(base.replace("\"rope_theta\": 10000.0", "\"rope_theta\": \"500000\""));
        assertEquals("rope_theta", text.field());
        assertTrue(text.getMessage().contains("'\"500000\"' is not a number"), text.getMessage());
        assertEquals("tie_word_embeddings", rejected(base.replace("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": \"yes\"")).field());
    }

    @Test
    void anIntegerTooLargeSaysSo() throws Exception {
        String big = config("LlamaForCausalLM", "llama", "\"rope_theta\": 10000.0").replace("\"hidden_size\": 64", "\"hidden_size\": 99999999999");
        FormatException e = rejected(big);
        assertEquals("hidden_size", e.field());
        assertEquals(big.indexOf("\"hidden_size\""), e.offset());
        assertTrue(e.getMessage().endsWith("hidden_size at offset " + e.offset() + ": 99999999999 is too large (at most 2147483647)"), e.getMessage());
        FormatException f = rejected(config("LlamaForCausalLM", "llama", "\"rope_theta\": 10000.0").replace("\"hidden_size\": 64", "\"hidden_size\": 64.5"));
        assertTrue(f.getMessage().endsWith("'64.5' is not an integer"), f.getMessage());
    }

    @Test
    void aNonFiniteNormWeightInTheCheckpointIsAnError() throws Exception {
        rewrite((name, v) -> { if (name.equals("model.layers.1.input_layernorm.weight")) v[7] = Float.NaN; return v; });
        FormatException e = rejected(config("LlamaForCausalLM", "llama", "\"rope_theta\": 10000.0"));
        assertEquals("tensor 'model.layers.1.input_layernorm.weight'[7]", e.field());
        assertTrue(e.getMessage().endsWith("is NaN, not a finite number"), e.getMessage());
    }

    interface Change { float[] apply(String name, float[] values); }

    void rewrite(Change change, String... extra) throws Exception {
        var f = dev.actlab.model.safetensors.SafetensorsFile.open(dir.resolve("model.safetensors"));
        SafetensorsWriter w = new SafetensorsWriter();
        for (var t : f.tensors().values()) w.addF32(t.name(), change.apply(t.name(), f.toFloats(t)), t.shape());
        for (String e : extra) w.addF32(e, new float[e.contains("q_proj") ? 64 : 32], e.contains("q_proj") ? 64 : 32);
        w.write(dir.resolve("model.safetensors"));
    }

    void addZeroQkvBiases() throws Exception {
        String[] names = new String[15];
        for (int l = 0, i = 0; l < 5; l++) for (String p : new String[]{"q", "k", "v"}) names[i++] = "model.layers." + l + ".self_attn." + p + "_proj.bias";
        rewrite((n, v) -> v, names);
    }
}
