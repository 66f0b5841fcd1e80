package dev.actlab.model.hf;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Activation;
import dev.actlab.model.hook.ActivationCache;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.safetensors.SafetensorsFile;
import dev.actlab.model.safetensors.SafetensorsWriter;
import dev.actlab.tensor.DType;
import dev.actlab.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Qwen2's q/k/v biases and Llama 3 RoPE scaling against Hugging Face transformers' definitions,
 * written out here independently of actlab (transformers itself cannot be installed on these
 * machines: PyPI is unreachable, Debian has no package):
 * <ul>
 * <li>Qwen2Attention: q = q_proj(x) = x W_q^T + b_q (likewise k and v), x = Qwen2RMSNorm(h) =
 *     h / sqrt(mean(h^2) + eps) * weight, from the checkpoint's own tensors;</li>
 * <li>the rotary embedding: inv_freq = 1 / theta^(2i/d), rescaled by
 *     modeling_rope_utils._compute_llama3_parameters (wavelen = 2 pi / inv_freq; above
 *     original_max_position_embeddings / low_freq_factor divide by factor; below
 *     original / high_freq_factor keep; between, smooth = (original / wavelen - low) / (high - low)
 *     and inv_freq = (1 - smooth) inv_freq / factor + smooth inv_freq); emb = cat(freqs, freqs);
 *     q_embed = q cos + rotate_half(q) sin with rotate_half(x) = cat(-x2, x1).</li>
 * </ul>
 * The checkpoint is stories260K's weights as a Qwen2ForCausalLM with random non-zero biases and a
 * llama3 rope_scaling whose three bands each hold at least one of the head's frequencies.
 */
class HfReferenceFormulasTest {
    @TempDir Path tmp;

    static final double THETA = 10000, FACTOR = 8, LOW = 1, HIGH = 8, ORIGINAL = 1024, EPS = 1e-5;

    /** transformers' _compute_llama3_parameters, for head size d. */
    static double[] llama3InvFreq(int d) {
        double[] inv = new double[d / 2];
        double lowWavelen = ORIGINAL / LOW, highWavelen = ORIGINAL / HIGH;
        for (int i = 0; i < inv.length; i++) {
            double f = 1.0 / Math.pow(THETA, (2.0 * i) / d);
            double wavelen = 2 * Math.PI / f;
            if (wavelen > lowWavelen) inv[i] = f / FACTOR;
            else if (wavelen < highWavelen) inv[i] = f;
            else {
                double smooth = (ORIGINAL / wavelen - LOW) / (HIGH - LOW);
                inv[i] = (1 - smooth) * f / FACTOR + smooth * f;
            }
        }
        return inv;
    }

    Path checkpoint() throws Exception {
        LlamaModel original = Llama2cReader.read(Shared.stories260K());
        Path dir = tmp.resolve("qwen2-llama3");
        HfCheckpointExport.export(original, dir, DType.F32, 1, true);
        SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"));
        SafetensorsWriter w = new SafetensorsWriter();
        for (var t : f.tensors().values()) w.addF32(t.name(), f.toFloats(t), t.shape());
        SplittableRandom r = new SplittableRandom(5);
        LlamaConfig c = original.config();
        for (int l = 0; l < c.layers(); l++)
            for (String p : new String[]{"q", "k", "v"}) {
                float[] b = new float[p.equals("q") ? c.qDim() : c.kvDim()];
                for (int i = 0; i < b.length; i++) b[i] = (float) (r.nextGaussian() * 0.5);
                w.addF32("model.layers." + l + ".self_attn." + p + "_proj.bias", b, b.length);
            }
        w.write(dir.resolve("model.safetensors"));
        Path cfg = dir.resolve("config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("LlamaForCausalLM", "Qwen2ForCausalLM").replace("\"model_type\": \"llama\"", "\"model_type\": \"qwen2\"")
                .replace("\"rope_scaling\": null", """
                        "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 8.0, "original_max_position_embeddings": 1024}"""));
        return dir;
    }

    @Test
    void qkvBiasesAndLlama3RopeFollowTransformersDefinitions() throws Exception {
        Path dir = checkpoint();
        LlamaModel m = ModelLoader.loadDecoder(dir);
        LlamaConfig c = m.config();
        assertNotNull(c.ropeScaling(), "llama3 scaling read");
        int hs = c.headSize(), n;
        double[] inv = llama3InvFreq(hs);
        // every band of the scaling is exercised: kept, divided by the factor, smoothed
        int kept = 0, divided = 0, smoothed = 0;
        for (int i = 0; i < inv.length; i++) {
            double f = 1.0 / Math.pow(THETA, (2.0 * i) / hs);
            if (inv[i] == f) kept++; else if (inv[i] == f / FACTOR) divided++; else smoothed++;
        }
        assertTrue(kept > 0 && divided > 0 && smoothed > 0, kept + " kept, " + divided + " divided, " + smoothed + " smoothed");

        int[] tokens = Shared.tokens(Shared.require("reference/stories260K/seq2.tokens.txt"));
        n = tokens.length;
        SafetensorsFile st = SafetensorsFile.open(dir.resolve("model.safetensors"));
        for (int layer : new int[]{0, 3}) {
            String b = "blocks." + layer + ".", p = "model.layers." + layer + ".";
            ActivationCache cache = m.runWithCache(tokens, Hooks.glob(b + "*"));
            float[] resid = cache.get(b + "hook_resid_pre").toArray();   // [n, dim]
            float[] norm = st.toFloats(st.tensor(p + "input_layernorm.weight"));
            int dim = c.dim();
            double[] x = new double[n * dim];   // Qwen2RMSNorm(resid)
            for (int t = 0; t < n; t++) {
                double ms = 0;
                for (int i = 0; i < dim; i++) ms += (double) resid[t * dim + i] * resid[t * dim + i];
                double s = 1 / Math.sqrt(ms / dim + EPS);
                for (int i = 0; i < dim; i++) x[t * dim + i] = resid[t * dim + i] * s * norm[i];
            }
            for (String proj : new String[]{"q", "k", "v"}) {
                float[] W = st.toFloats(st.tensor(p + "self_attn." + proj + "_proj.weight")), bias = st.toFloats(st.tensor(p + "self_attn." + proj + "_proj.bias"));
                int rows = bias.length;
                double[] expected = new double[n * rows];   // x W^T + b: [n, rows] = [n, heads, hs] in the checkpoint's order
                for (int t = 0; t < n; t++)
                    for (int o = 0; o < rows; o++) {
                        double acc = bias[o];
                        for (int i = 0; i < dim; i++) acc += x[t * dim + i] * W[o * dim + i];
                        expected[t * rows + o] = acc;
                    }
                Activation got = cache.get(b + "attn.hook_" + proj);
                assertClose(expected, got.toArray(), b + "attn.hook_" + proj + " = " + proj + "_proj(x) with bias");
                if (proj.equals("v")) continue;
                int heads = rows / hs;
                double[] rotated = new double[n * rows];   // apply_rotary_pos_emb at positions 0..n-1
                for (int t = 0; t < n; t++)
                    for (int h = 0; h < heads; h++)
                        for (int i = 0; i < hs; i++) {
                            double angle = t * inv[i % (hs / 2)];   // emb = cat(freqs, freqs)
                            int base = t * rows + h * hs;
                            double half = i < hs / 2 ? -expected[base + i + hs / 2] : expected[base + i - hs / 2];   // rotate_half
                            rotated[base + i] = expected[base + i] * Math.cos(angle) + half * Math.sin(angle);
                        }
                assertClose(rotated, cache.get(b + "attn.hook_rot_" + proj).toArray(), b + "attn.hook_rot_" + proj + " = llama3-scaled rotary embedding");
            }
        }
    }

    /**
     * The GGUF path: convert writes llama.cpp's rope_freqs tensor, whose entries divide the plain
     * frequencies (llama.cpp's converter: factor, 1, or 1 / ((1 - smooth) / factor + smooth)); they
     * must be theta^(-2i/d) / inv_freq of transformers' formula, and the GGUF model must compute the
     * checkpoint's logits.
     */
    @Test
    void theGgufRopeFreqsTensorHoldsTheSameScaling() throws Exception {
        LlamaModel m = ModelLoader.loadDecoder(checkpoint());
        Path gguf = tmp.resolve("qwen2-llama3.gguf");
        dev.actlab.model.gguf.GgufLlamaWriter.export(m, DType.F32, "test").write(gguf);
        var f = dev.actlab.model.gguf.GgufFile.open(gguf);
        int hs = m.config().headSize();
        float[] div = f.vector("rope_freqs.weight", hs / 2);
        double[] inv = llama3InvFreq(hs);
        for (int i = 0; i < hs / 2; i++) {
            double expected = 1.0 / Math.pow(THETA, (2.0 * i) / hs) / inv[i];
            assertEquals(expected, div[i], 1e-6 * expected, "rope_freqs[" + i + "]");
        }
        LlamaModel g = dev.actlab.model.gguf.GgufLlamaLoader.load(f);
        int[] tokens = Shared.tokens(Shared.require("reference/stories260K/seq2.tokens.txt"));
        float[] a = m.runWithHooks(tokens, Hooks.none()), b = g.runWithHooks(tokens, Hooks.none());
        float worst = 0;
        for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
        assertTrue(worst < 1e-4f, "GGUF vs checkpoint logits: " + worst);
    }

    /** float32 against float64: |diff| <= 1e-5 * (1 + |expected|). */
    static void assertClose(double[] expected, float[] got, String what) {
        assertEquals(expected.length, got.length, what);
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            double d = Math.abs(expected[i] - got[i]);
            worst = Math.max(worst, d);
            assertTrue(d <= 1e-5 * (1 + Math.abs(expected[i])), what + " at " + i + ": " + got[i] + " vs " + expected[i]);
        }
        System.out.printf("%s: max |diff| %.2g%n", what, worst);
    }
}
