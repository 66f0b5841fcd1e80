package dev.actlab.model.gguf;

import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.WeightMatrix;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The GGUF layout of a Llama decoder, as llama.cpp's converter writes it (architecture "llama",
 * or "qwen2" when the config uses rotate-half RoPE): metadata keys and tensors in file order.
 * Used to export a loaded model and by `actlab synth` to write random weights.
 */
public final class GgufLlamaWriter {
    private GgufLlamaWriter() {}

    /** One tensor of the layout: W [rows, cols] (ggml dims {cols, rows}), or a vector when rows == 1 and !matrix. */
    public record Slot(String name, int rows, int cols, boolean matrix) {
        public long[] dims() { return matrix ? new long[]{cols, rows} : new long[]{cols}; }
    }

    /** The tensors of a model with config c, in the order llama.cpp writes them. */
    public static List<Slot> slots(LlamaConfig c, boolean biases) {
        List<Slot> s = new ArrayList<>();
        s.add(new Slot("token_embd.weight", c.vocabSize(), c.dim(), true));
        for (int l = 0; l < c.layers(); l++) {
            String b = "blk." + l + ".";
            s.add(new Slot(b + "attn_norm.weight", 1, c.dim(), false));
            s.add(new Slot(b + "attn_q.weight", c.qDim(), c.dim(), true));
            s.add(new Slot(b + "attn_k.weight", c.kvDim(), c.dim(), true));
            s.add(new Slot(b + "attn_v.weight", c.kvDim(), c.dim(), true));
            if (biases) {
                s.add(new Slot(b + "attn_q.bias", 1, c.qDim(), false));
                s.add(new Slot(b + "attn_k.bias", 1, c.kvDim(), false));
                s.add(new Slot(b + "attn_v.bias", 1, c.kvDim(), false));
            }
            s.add(new Slot(b + "attn_output.weight", c.dim(), c.qDim(), true));
            s.add(new Slot(b + "ffn_norm.weight", 1, c.dim(), false));
            if (c.mlp().gated()) s.add(new Slot(b + "ffn_gate.weight", c.hiddenDim(), c.dim(), true));
            s.add(new Slot(b + "ffn_up.weight", c.hiddenDim(), c.dim(), true));
            s.add(new Slot(b + "ffn_down.weight", c.dim(), c.hiddenDim(), true));
        }
        s.add(new Slot("output_norm.weight", 1, c.dim(), false));
        if (!c.tiedEmbeddings()) s.add(new Slot("output.weight", c.vocabSize(), c.dim(), true));
        if (c.ropeScaling() != null) s.add(new Slot("rope_freqs.weight", 1, c.headSize() / 2, false));
        return s;
    }

    /** Metadata describing c under its architecture's keys. */
    public static void putConfig(GgufWriter w, LlamaConfig c, String name) {
        String arch = c.ropeHalfSplit() ? "qwen2" : "llama";
        String p = arch + ".";
        w.put("general.architecture", GgufValue.string(arch));
        w.put("general.name", GgufValue.string(name));
        w.put(p + "context_length", GgufValue.u32(c.contextLength()));
        w.put(p + "embedding_length", GgufValue.u32(c.dim()));
        w.put(p + "block_count", GgufValue.u32(c.layers()));
        w.put(p + "feed_forward_length", GgufValue.u32(c.hiddenDim()));
        w.put(p + "attention.head_count", GgufValue.u32(c.heads()));
        w.put(p + "attention.head_count_kv", GgufValue.u32(c.kvHeads()));
        w.put(p + "attention.layer_norm_rms_epsilon", GgufValue.f32(c.normEps()));
        w.put(p + "rope.freq_base", GgufValue.f32(c.ropeTheta()));
        w.put(p + "rope.dimension_count", GgufValue.u32(c.headSize()));
        w.put(p + "vocab_size", GgufValue.u32(c.vocabSize()));
        if (!c.mlp().llamaDefault()) {   // only actlab reads these: llama.cpp would run the file as SwiGLU
            w.put(GgufLlamaLoader.MLP_ACTIVATION, GgufValue.string(c.mlp().activation().key()));
            w.put(GgufLlamaLoader.MLP_KIND, GgufValue.string(c.mlp().kind()));
            w.put(GgufLlamaLoader.MLP_TOPK, GgufValue.u32(c.mlp().topK()));
        }
        if (c.ropeScaling() != null) {
            // llama3 scaling lives in the rope_freqs tensor, as llama.cpp's converter writes it: no rope.scaling.type
            // (llama.cpp refuses "llama3") and no rope.scaling.factor (llama.cpp would apply it again, linearly)
            w.put(p + "rope.scaling.original_context_length", GgufValue.u32(c.ropeScaling().originalContextLength()));
            w.put(p + "rope.scaling.low_freq_factor", GgufValue.f32(c.ropeScaling().lowFreqFactor()));
            w.put(p + "rope.scaling.high_freq_factor", GgufValue.f32(c.ropeScaling().highFreqFactor()));
        }
    }

    /**
     * The type a matrix is stored in: the requested one when its rows fit the block size, else
     * llama-quantize's fallback ({@link GgufWriter#fittingType}), else F16 as llama-quantize's last resort.
     */
    public static DType storedType(Slot s, DType requested) {
        return s.matrix ? storedType(s.cols, requested) : DType.F32;
    }

    /** The type a matrix of cols columns is stored in when requested is (as {@link #storedType(Slot, DType)}). */
    public static DType storedType(long cols, DType requested) {
        DType t = GgufWriter.fittingType(requested, cols);
        return t != null ? t : DType.F16;
    }

    /** A writer holding model m's config and weights, matrices stored as type. */
    public static GgufWriter export(LlamaModel m, DType type, String name) { return export(m, type, name, Map.of()); }

    /**
     * As {@link #export(LlamaModel, DType, String)}, with importance weights for llama.cpp's
     * importance-weighted K-quant quantizers: tensor name (e.g. blk.0.ffn_down.weight) to one value per
     * input column, an imatrix entry's sums divided by its call count. Tensors without an entry, or
     * stored in a type that takes none, are quantized without (as llama-quantize does).
     */
    public static GgufWriter export(LlamaModel m, DType type, String name, Map<String, float[]> importance) {
        LlamaConfig c = m.config();
        LlamaWeights w = m.weights();
        GgufWriter out = new GgufWriter();
        putConfig(out, c, name);
        float[] ropeDivisors = c.ropeScaling() == null ? null : GgufLlamaLoader.llama3Divisors(c, c.ropeScaling());
        for (Slot s : slots(c, w.qBias() != null)) {
            GgufWriter.Rows rows = rows(w, s.name, ropeDivisors);
            DType stored = storedType(s, type);
            float[] imp = GgufWriter.takesImportance(stored) ? importance.get(s.name) : null;
            out.tensor(s.name, stored, s.dims(), rows, imp);
        }
        return out;
    }

    static GgufWriter.Rows rows(LlamaWeights w, String name, float[] ropeDivisors) {
        if (name.equals("token_embd.weight")) return matrixRows(w.tokenEmbedding());
        if (name.equals("output.weight")) return matrixRows(w.output());
        if (name.equals("output_norm.weight")) return vectorRow(w.finalNorm());
        if (name.equals("rope_freqs.weight")) return vectorRow(ropeDivisors);
        String[] parts = name.split("\\.");   // blk, L, tensor, weight|bias
        int l = Integer.parseInt(parts[1]);
        String t = parts[2] + "." + parts[3];
        return switch (t) {
            case "attn_norm.weight" -> vectorRow(w.attnNorm()[l]);
            case "ffn_norm.weight" -> vectorRow(w.ffnNorm()[l]);
            case "attn_q.weight" -> matrixRows(w.wq()[l]);
            case "attn_k.weight" -> matrixRows(w.wk()[l]);
            case "attn_v.weight" -> matrixRows(w.wv()[l]);
            case "attn_q.bias" -> vectorRow(w.qBias()[l]);
            case "attn_k.bias" -> vectorRow(w.kBias()[l]);
            case "attn_v.bias" -> vectorRow(w.vBias()[l]);
            case "attn_output.weight" -> matrixRows(w.wo()[l]);
            case "ffn_gate.weight" -> matrixRows(w.wGate()[l]);
            case "ffn_up.weight" -> matrixRows(w.wUp()[l]);
            case "ffn_down.weight" -> matrixRows(w.wDown()[l]);
            default -> throw new IllegalStateException(name);
        };
    }

    private static GgufWriter.Rows matrixRows(WeightMatrix m) { return (r, dst) -> m.dequantizeRow((int) r, dst, 0); }

    private static GgufWriter.Rows vectorRow(float[] v) { return (r, dst) -> System.arraycopy(v, 0, dst, 0, v.length); }
}
