package dev.actlab.model.gguf;

import dev.actlab.io.FormatException;
import dev.actlab.model.bert.BertConfig;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.bert.BertWeights;
import dev.actlab.model.tokenizer.GgufTokenizers;
import dev.actlab.model.tokenizer.Tokenizer;
import dev.actlab.model.tokenizer.WordPieceTokenizer;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.F32PanelMatrix;
import dev.actlab.tensor.WeightMatrix;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A BERT encoder from a GGUF file with llama.cpp's {@code bert} architecture and tensor names
 * (token_embd, position_embd, token_types, token_embd_norm, blk.N.attn_q/k/v/output,
 * attn_output_norm, ffn_up, ffn_down, layer_output_norm). F32 matrices are repacked into panels
 * for batched encoding; other types run natively in their stored format.
 */
public final class GgufBertLoader {
    private GgufBertLoader() {}

    /**
     * Tensors ignored on purpose: the classification head of reranker files (llama.cpp loads it
     * only to score pairs). It acts after pooling, so the token embeddings actlab computes are the
     * same with or without it. Any other unused tensor is an error.
     */
    static final java.util.Set<String> IGNORED = java.util.Set.of("cls.weight", "cls.bias", "cls.output.weight", "cls.output.bias");

    public static BertModel load(Path path) throws IOException { return load(GgufFile.open(path)); }

    public static BertModel load(GgufFile f) throws FormatException {
        String arch = f.string("general.architecture", null);
        if (!"bert".equals(arch)) throw f.error("general.architecture", 0, "is '" + arch + "', expected bert");
        int d = positive(f, "bert.embedding_length"), layers = positive(f, "bert.block_count"), heads = positive(f, "bert.attention.head_count");
        int dMlp = positive(f, "bert.feed_forward_length"), ctx = positive(f, "bert.context_length");
        Double eps = f.number("bert.attention.layer_norm_epsilon");
        if (eps != null && !(eps.floatValue() > 0 && eps.floatValue() < 1 && Float.isFinite(eps.floatValue())))
            throw f.error("bert.attention.layer_norm_epsilon", 0, "value " + eps + " is not a finite number in (0.0, 1.0)");
        GgufTensorInfo embd = f.require("token_embd.weight");
        if (embd.dims().length != 2 || embd.dims()[0] != d) throw f.error("token_embd.weight", embd.fileOffset(), "tensor is " + embd.shape() + ", expected [" + d + ", vocab]");
        int vocab = (int) embd.dims()[1];
        GgufTensorInfo types = f.require("token_types.weight");
        int typeVocab = (int) (types.elements() / d);
        BertConfig c;
        try {
            c = new BertConfig(vocab, ctx, typeVocab, d, layers, heads, dMlp, eps == null ? 1e-12f : eps.floatValue());
        } catch (IllegalArgumentException e) {
            throw f.error("bert.*", 0, e.getMessage());
        }
        WeightMatrix[] wq = new WeightMatrix[layers], wk = new WeightMatrix[layers], wv = new WeightMatrix[layers], wo = new WeightMatrix[layers];
        WeightMatrix[] wIn = new WeightMatrix[layers], wOut = new WeightMatrix[layers];
        float[][] bq = new float[layers][], bk = new float[layers][], bv = new float[layers][], bo = new float[layers][], bIn = new float[layers][], bOut = new float[layers][];
        float[][] ln1w = new float[layers][], ln1b = new float[layers][], ln2w = new float[layers][], ln2b = new float[layers][];
        for (int l = 0; l < layers; l++) {
            String b = "blk." + l + ".";
            wq[l] = matrix(f, b + "attn_q.weight", d, d); bq[l] = f.vector(b + "attn_q.bias", d);
            wk[l] = matrix(f, b + "attn_k.weight", d, d); bk[l] = f.vector(b + "attn_k.bias", d);
            wv[l] = matrix(f, b + "attn_v.weight", d, d); bv[l] = f.vector(b + "attn_v.bias", d);
            wo[l] = matrix(f, b + "attn_output.weight", d, d); bo[l] = f.vector(b + "attn_output.bias", d);
            ln1w[l] = f.vector(b + "attn_output_norm.weight", d); ln1b[l] = f.vector(b + "attn_output_norm.bias", d);
            wIn[l] = matrix(f, b + "ffn_up.weight", dMlp, d); bIn[l] = f.vector(b + "ffn_up.bias", dMlp);
            wOut[l] = matrix(f, b + "ffn_down.weight", d, dMlp); bOut[l] = f.vector(b + "ffn_down.bias", d);
            ln2w[l] = f.vector(b + "layer_output_norm.weight", d); ln2b[l] = f.vector(b + "layer_output_norm.bias", d);
        }
        BertWeights w = new BertWeights(rows(f, "token_embd.weight", vocab, d), rows(f, "position_embd.weight", ctx, d),
                rows(f, "token_types.weight", typeVocab, d), f.vector("token_embd_norm.weight", d), f.vector("token_embd_norm.bias", d),
                wq, wk, wv, bq, bk, bv, wo, bo, ln1w, ln1b, wIn, bIn, wOut, bOut, ln2w, ln2b);
        for (GgufTensorInfo t : f.unused())
            if (!IGNORED.contains(t.name()))
                throw f.error(t.name(), t.fileOffset(), "tensor " + t.shape() + " " + t.type() + " is not used by the bert encoder"
                        + " (block_count " + layers + "): an unsupported variant, or hyperparameters that do not match the tensors");
        if (!f.metadata().containsKey("tokenizer.ggml.model")) throw f.error("tokenizer.ggml.model", 0, "is missing: a BERT GGUF needs its WordPiece vocabulary");
        Tokenizer t = GgufTokenizers.fromMetadata(f.metadata(), f.path());
        if (!(t instanceof WordPieceTokenizer wp)) throw f.error("tokenizer.ggml.model", 0, "a BERT model needs the 'bert' (WordPiece) tokenizer");
        if (wp.vocabSize() != vocab) throw f.error("tokenizer.ggml.tokens", 0, "has " + wp.vocabSize() + " tokens, token_embd has " + vocab + " rows");
        try {
            return new BertModel(c, w, wp.withMaxLength(Math.min(512, ctx)), f.path().toString());
        } catch (IllegalArgumentException e) {
            throw f.error("tensors", f.dataOffset(), e.getMessage());
        }
    }

    private static WeightMatrix matrix(GgufFile f, String name, int rows, int cols) throws FormatException {
        WeightMatrix m = f.matrix(name, rows, cols);
        return m.dtype() == DType.F32 ? F32PanelMatrix.of(m) : m;
    }

    /** A [rows, cols] table (embeddings) as float32, row-major. */
    private static float[] rows(GgufFile f, String name, int rows, int cols) throws FormatException {
        WeightMatrix m = f.matrix(name, rows, cols);
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) m.dequantizeRow(r, out, r * cols);
        return out;
    }

    private static int positive(GgufFile f, String key) throws FormatException {
        Long v = f.integer(key);
        if (v == null) throw f.error(key, 0, "key is missing");
        if (v <= 0 || v > Integer.MAX_VALUE) throw f.error(key, 0, "value " + v + " is not a positive size");
        return v.intValue();
    }
}
