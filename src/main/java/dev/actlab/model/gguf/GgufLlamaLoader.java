package dev.actlab.model.gguf;

import dev.actlab.io.FormatException;
import dev.actlab.io.MappedFile;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.tensor.WeightMatrix;
import java.io.IOException;
import dev.actlab.model.tokenizer.GgufTokenizers;
import dev.actlab.model.tokenizer.Tokenizer;
import java.nio.file.Path;

/**
 * Builds a Llama-family decoder from a GGUF file written by llama.cpp's converters (or by
 * {@link GgufWriter}): architectures {@code llama} (also Mistral and SmolLM files, which use it),
 * {@code mistral} and {@code qwen2} (q/k/v biases, rotate-half RoPE). Weights stay mapped and
 * run in their stored type. The tokenizer comes from the {@code tokenizer.ggml.*} metadata when
 * present (see {@link GgufTokenizers}).
 */
public final class GgufLlamaLoader {
    private GgufLlamaLoader() {}

    public static LlamaModel load(Path path) throws IOException { return load(GgufFile.open(path)); }

    public static LlamaModel load(MappedFile file) throws FormatException { return load(GgufFile.read(file)); }

    public static LlamaModel load(GgufFile f) throws FormatException {
        String arch = f.string("general.architecture", null);
        if (arch == null) throw f.error("general.architecture", 0, "key is missing");
        boolean qwen2 = arch.equals("qwen2");
        if (!arch.equals("llama") && !arch.equals("mistral") && !qwen2)
            throw f.error("general.architecture", 0, "architecture '" + arch + "' is not supported (llama, mistral, qwen2 are)");
        String p = arch + ".";
        int dim = intKey(f, p + "embedding_length", null);
        int hidden = intKey(f, p + "feed_forward_length", null);
        int layers = intKey(f, p + "block_count", null);
        int heads = intKey(f, p + "attention.head_count", null);
        int kvHeads = intKey(f, p + "attention.head_count_kv", heads);
        int context = intKey(f, p + "context_length", null);
        GgufTensorInfo embd = f.require("token_embd.weight");
        if (embd.dims().length != 2) throw f.error("token_embd.weight", embd.fileOffset(), "expected 2 dims, found " + embd.shape());
        int vocab = intKey(f, p + "vocab_size", (int) Math.min(Integer.MAX_VALUE, embd.dims()[1]));
        float eps = hyperparameter(f, p + "attention.layer_norm_rms_epsilon", 1e-5f, 0, 1);
        float theta = hyperparameter(f, p + "rope.freq_base", 10000f, 1, Float.MAX_VALUE);
        for (String k : new String[]{"attention.key_length", "attention.value_length"}) {
            Long len = f.integer(p + k);
            if (len != null && heads > 0 && len != dim / heads)
                throw f.error(p + k, 0, "head size " + len + " differs from embedding_length / head_count = " + dim / heads + " (not supported)");
        }
        Long ropeDims = f.integer(p + "rope.dimension_count");
        if (ropeDims != null && heads > 0 && ropeDims != dim / heads)
            throw f.error(p + "rope.dimension_count", 0, "RoPE on " + ropeDims + " of the " + dim / heads + " dimensions of a head (partial rotary) is not supported");
        Long experts = f.integer(p + "expert_count");
        if (experts != null && experts != 0) throw f.error(p + "expert_count", 0, experts + " experts: mixture-of-experts models are not supported");
        boolean tied = f.tensor("output.weight") == null;

        LlamaConfig c;
        try {
            c = new LlamaConfig(arch, dim, hidden, layers, heads, kvHeads, vocab, context, eps, theta, qwen2, null, tied);
            c = withScaling(c, ropeScaling(f, p, c)).withMlp(mlp(f, hidden));
        } catch (IllegalArgumentException e) {
            throw f.error(p + "*", 0, "model shape: " + e.getMessage());
        }

        int L = c.layers();
        WeightMatrix embed = f.matrix("token_embd.weight", vocab, dim);
        float[][] attnNorm = new float[L][], ffnNorm = new float[L][];
        WeightMatrix[] wq = new WeightMatrix[L], wk = new WeightMatrix[L], wv = new WeightMatrix[L], wo = new WeightMatrix[L];
        WeightMatrix[] gate = new WeightMatrix[L], down = new WeightMatrix[L], up = new WeightMatrix[L];
        float[][] qb = qwen2 ? new float[L][] : null, kb = qwen2 ? new float[L][] : null, vb = qwen2 ? new float[L][] : null;
        for (int l = 0; l < L; l++) {
            String b = "blk." + l + ".";
            attnNorm[l] = f.vector(b + "attn_norm.weight", dim);
            wq[l] = f.matrix(b + "attn_q.weight", c.qDim(), dim);
            wk[l] = f.matrix(b + "attn_k.weight", c.kvDim(), dim);
            wv[l] = f.matrix(b + "attn_v.weight", c.kvDim(), dim);
            wo[l] = f.matrix(b + "attn_output.weight", dim, c.qDim());
            if (qwen2) {
                qb[l] = f.vector(b + "attn_q.bias", c.qDim());
                kb[l] = f.vector(b + "attn_k.bias", c.kvDim());
                vb[l] = f.vector(b + "attn_v.bias", c.kvDim());
            }
            ffnNorm[l] = f.vector(b + "ffn_norm.weight", dim);
            if (c.mlp().gated()) gate[l] = f.matrix(b + "ffn_gate.weight", hidden, dim);
            up[l] = f.matrix(b + "ffn_up.weight", hidden, dim);
            down[l] = f.matrix(b + "ffn_down.weight", dim, hidden);
        }
        float[] finalNorm = f.vector("output_norm.weight", dim);
        WeightMatrix output = tied ? embed : f.matrix("output.weight", vocab, dim);
        LlamaWeights w = new LlamaWeights(embed, attnNorm, wq, wk, wv, wo, qb, kb, vb, ffnNorm, gate, down, up, finalNorm, output);
        requireAllUsed(f, arch, L);
        try {
            return new LlamaModel(c, w, tokenizer(f, vocab), f.path().toString());
        } catch (IllegalArgumentException e) {
            throw f.error("tensors", f.dataOffset(), e.getMessage());
        }
    }

    /**
     * Tensors this loader ignores on purpose, by name. None: like llama.cpp, which refuses a file
     * with tensors it did not load ("wrong number of tensors"), a tensor the forward pass would not
     * use means the file is not the model actlab would run.
     */
    static final java.util.Set<String> IGNORED = java.util.Set.of();

    private static final java.util.regex.Pattern BLOCK = java.util.regex.Pattern.compile("^blk\\.(\\d+)\\.");

    /** Every tensor of the file was used (or is in IGNORED); a block past block_count says so. */
    static void requireAllUsed(GgufFile f, String arch, int layers) throws FormatException {
        for (GgufTensorInfo t : f.unused()) {
            if (IGNORED.contains(t.name())) continue;
            java.util.regex.Matcher m = BLOCK.matcher(t.name());
            if (m.find() && (m.group(1).length() > 9 || Integer.parseInt(m.group(1)) >= layers))
                throw f.error(arch + ".block_count", 0, "is " + layers + " but the file has tensor " + t.name() + " of block " + m.group(1)
                        + ": the hyperparameters do not match the tensors (llama.cpp refuses this file too)");
            throw f.error(t.name(), t.fileOffset(), "tensor " + t.shape() + " " + t.type() + " is not used by the " + arch
                    + " forward pass: an unsupported variant, or hyperparameters that do not match the tensors");
        }
    }

    public static final String MLP_ACTIVATION = "actlab.mlp.activation", MLP_KIND = "actlab.mlp.kind", MLP_TOPK = "actlab.mlp.topk";

    /**
     * The MLP of a model trained by actlab with another activation (MlpSpec): keys actlab.mlp.*,
     * each absent = Llama's (silu, gated, dense). A value actlab does not know is an error, never
     * a silent SwiGLU.
     */
    static dev.actlab.model.llama.MlpSpec mlp(GgufFile f, int hidden) throws FormatException {
        String act = f.string(MLP_ACTIVATION, "silu"), kind = f.string(MLP_KIND, "gated");
        var a = dev.actlab.model.llama.MlpActivation.byKey(act);
        if (a == null) throw f.error(MLP_ACTIVATION, 0, "activation '" + act + "' is not known (" + dev.actlab.model.llama.MlpActivation.keys() + " are)");
        if (!kind.equals("gated") && !kind.equals("plain")) throw f.error(MLP_KIND, 0, "MLP kind '" + kind + "' is not known (gated, plain are)");
        Long k = f.integer(MLP_TOPK);
        if (k != null && (k < 0 || k > hidden)) throw f.error(MLP_TOPK, 0, "top-k " + k + " is not in [0, feed_forward_length " + hidden + "]");
        return new dev.actlab.model.llama.MlpSpec(a, kind.equals("gated"), k == null ? 0 : (int) (long) k);
    }

    /**
     * A float hyperparameter that must be finite and in (min, max) after conversion to float
     * (a NaN epsilon makes every logit NaN); fallback when absent.
     */
    private static float hyperparameter(GgufFile f, String key, float fallback, float min, float max) throws FormatException {
        Double v = f.number(key);
        if (v == null) return fallback;
        float x = v.floatValue();
        if (!(x > min && x < max && Float.isFinite(x)))
            throw f.error(key, 0, "value " + v + " is not a finite number in (" + min + ", " + (max == Float.MAX_VALUE ? "inf" : max) + ")");
        return x;
    }

    /** A positive int key; fallback when absent (null fallback: the key is required). */
    private static int intKey(GgufFile f, String key, Integer fallback) throws FormatException {
        Long v = f.integer(key);
        if (v == null) {
            if (fallback == null) throw f.error(key, 0, "key is missing");
            return fallback;
        }
        if (v < 1 || v > Integer.MAX_VALUE) throw f.error(key, 0, "value " + v + " is not a positive int");
        return (int) (long) v;
    }

    private static LlamaConfig withScaling(LlamaConfig c, LlamaConfig.RopeScaling s) {
        if (s == null) return c;
        return new LlamaConfig(c.architecture(), c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), c.vocabSize(),
                c.contextLength(), c.normEps(), c.ropeTheta(), c.ropeHalfSplit(), s, c.tiedEmbeddings());
    }

    /**
     * Llama 3 RoPE scaling, from rope.scaling.* keys (type "llama3") or from the rope_freqs tensor
     * llama.cpp's converter writes (per-frequency divisors). The tensor is accepted only when it
     * equals the llama3 formula for its largest factor, low 1, high 4 and the original context
     * length (key rope.scaling.original_context_length, else 8192), because LlamaConfig holds the
     * formula's parameters, not arbitrary divisors.
     */
    static LlamaConfig.RopeScaling ropeScaling(GgufFile f, String p, LlamaConfig c) throws FormatException {
        String type = f.string(p + "rope.scaling.type", null);
        Double factor = f.number(p + "rope.scaling.factor");
        Long orig = f.integer(p + "rope.scaling.original_context_length");
        Double low = f.number(p + "rope.scaling.low_freq_factor"), high = f.number(p + "rope.scaling.high_freq_factor");
        GgufTensorInfo freqs = f.tensor("rope_freqs.weight");
        if ("llama3".equals(type) && freqs == null) {
            if (factor == null) throw f.error(p + "rope.scaling.factor", 0, "llama3 scaling needs a factor");
            return checked(f, p, factor.floatValue(), low == null ? 1f : low.floatValue(),
                    high == null ? 4f : high.floatValue(), orig == null ? 8192 : (int) Math.min(Integer.MAX_VALUE, orig));
        }
        if (type != null && !type.equals("none") && !type.equals("llama3"))
            throw f.error(p + "rope.scaling.type", 0, "RoPE scaling '" + type + "' is not supported (llama3 is)");
        if (freqs == null) return null;
        int n = c.headSize() / 2;
        float[] div = f.vector("rope_freqs.weight", n);
        float max = 1;
        for (float d : div) if (d > max || Float.isNaN(d)) max = d;
        LlamaConfig.RopeScaling s = checked(f, p, max, low == null ? 1f : low.floatValue(),
                high == null ? 4f : high.floatValue(), orig == null ? 8192 : (int) Math.min(Integer.MAX_VALUE, orig));
        float[] expected = llama3Divisors(c, s);
        for (int i = 0; i < n; i++)
            if (!(Math.abs(expected[i] - div[i]) <= 1e-3f * expected[i]))
                throw f.error("rope_freqs.weight", freqs.fileOffset(), "value " + div[i] + " at " + i + " is not the llama3 scaling divisor "
                        + expected[i] + " (factor " + s.factor() + ", low 1, high 4, original context " + s.originalContextLength() + ")");
        return s;
    }

    private static LlamaConfig.RopeScaling checked(GgufFile f, String p, float factor, float low, float high, int orig) throws FormatException {
        try {
            return new LlamaConfig.RopeScaling(factor, low, high, orig);
        } catch (IllegalArgumentException e) {
            throw f.error(p + "rope.scaling", 0, "invalid llama3 scaling: " + e.getMessage());
        }
    }

    /** The file's tokenizer, or null when it carries none (e.g. random-weight synth models). */
    private static Tokenizer tokenizer(GgufFile f, int vocab) throws FormatException {
        if (!f.metadata().containsKey("tokenizer.ggml.model")) return null;
        Tokenizer t = GgufTokenizers.fromMetadata(f.metadata(), f.path());
        if (t.vocabSize() > vocab)
            throw f.error("tokenizer.ggml.tokens", 0, "the tokenizer has " + t.vocabSize() + " tokens but the model's vocabulary is " + vocab);
        return t;
    }

    /** The divisor of each RoPE frequency under llama3 scaling (what rope_freqs stores). */
    public static float[] llama3Divisors(LlamaConfig c, LlamaConfig.RopeScaling s) {
        int hs = c.headSize();
        float[] div = new float[hs / 2];
        double lowWavelen = s.originalContextLength() / s.lowFreqFactor(), highWavelen = s.originalContextLength() / s.highFreqFactor();
        for (int i = 0; i < div.length; i++) {
            double freq = 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / hs);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) div[i] = 1;
            else if (wavelen > lowWavelen) div[i] = s.factor();
            else {
                double smooth = (s.originalContextLength() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                div[i] = (float) (1 / ((1 - smooth) / s.factor() + smooth));
            }
        }
        return div;
    }
}
