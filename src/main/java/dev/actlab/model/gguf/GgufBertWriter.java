package dev.actlab.model.gguf;

import dev.actlab.model.bert.BertConfig;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.bert.BertWeights;
import dev.actlab.model.tokenizer.WordPieceTokenizer;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.WeightMatrix;

/** Writes a BERT encoder as GGUF with llama.cpp's bert architecture keys, tensor names and vocabulary spelling. */
public final class GgufBertWriter {
    private GgufBertWriter() {}

    /** Matrices stored as type (F32, F16, Q8_0 or Q4_0); embeddings, norms and biases as F32. */
    public static GgufWriter export(BertModel m, DType type, String name) {
        BertConfig c = m.config();
        BertWeights w = m.weights();
        WordPieceTokenizer tok = m.tokenizer();
        int d = c.dModel(), dMlp = c.dMlp();
        GgufWriter out = new GgufWriter()
                .put("general.architecture", GgufValue.string("bert"))
                .put("general.name", GgufValue.string(name))
                .put("bert.context_length", GgufValue.u32(c.maxPositions()))
                .put("bert.embedding_length", GgufValue.u32(d))
                .put("bert.feed_forward_length", GgufValue.u32(dMlp))
                .put("bert.block_count", GgufValue.u32(c.layers()))
                .put("bert.attention.head_count", GgufValue.u32(c.heads()))
                .put("bert.attention.layer_norm_epsilon", GgufValue.f32(c.normEps()))
                .put("bert.attention.causal", GgufValue.of(GgufValueType.BOOL, false))
                .put("bert.pooling_type", GgufValue.u32(1))   // mean, as sentence-transformers pools
                .put("tokenizer.ggml.model", GgufValue.string("bert"))
                .put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tok.phantomSpaceVocabulary().toArray(String[]::new)))
                .put("tokenizer.ggml.token_type_count", GgufValue.u32(c.typeVocab()))
                .put("tokenizer.ggml.unknown_token_id", GgufValue.u32(tok.unkId()))
                .put("tokenizer.ggml.seperator_token_id", GgufValue.u32(tok.eosId()))   // llama.cpp's spelling of the key
                .put("tokenizer.ggml.padding_token_id", GgufValue.u32(tok.padId()))
                .put("tokenizer.ggml.cls_token_id", GgufValue.u32(tok.bosId()));
        table(out, "token_embd.weight", w.wordEmbedding(), c.vocabSize(), d);
        table(out, "position_embd.weight", w.positionEmbedding(), c.maxPositions(), d);
        table(out, "token_types.weight", w.typeEmbedding(), c.typeVocab(), d);
        vector(out, "token_embd_norm.weight", w.embedNormWeight());
        vector(out, "token_embd_norm.bias", w.embedNormBias());
        for (int l = 0; l < c.layers(); l++) {
            String b = "blk." + l + ".";
            matrix(out, b + "attn_q", w.wq()[l], w.bq()[l], type);
            matrix(out, b + "attn_k", w.wk()[l], w.bk()[l], type);
            matrix(out, b + "attn_v", w.wv()[l], w.bv()[l], type);
            matrix(out, b + "attn_output", w.wo()[l], w.bo()[l], type);
            vector(out, b + "attn_output_norm.weight", w.ln1Weight()[l]);
            vector(out, b + "attn_output_norm.bias", w.ln1Bias()[l]);
            matrix(out, b + "ffn_up", w.wIn()[l], w.bIn()[l], type);
            matrix(out, b + "ffn_down", w.wOut()[l], w.bOut()[l], type);
            vector(out, b + "layer_output_norm.weight", w.ln2Weight()[l]);
            vector(out, b + "layer_output_norm.bias", w.ln2Bias()[l]);
        }
        return out;
    }

    private static void matrix(GgufWriter out, String name, WeightMatrix m, float[] bias, DType type) {
        DType stored = GgufWriter.fittingType(type, m.cols());
        out.tensor(name + ".weight", stored != null ? stored : DType.F32, new long[]{m.cols(), m.rows()}, (r, dst) -> m.dequantizeRow((int) r, dst, 0));
        vector(out, name + ".bias", bias);
    }

    private static void table(GgufWriter out, String name, float[] values, int rows, int cols) {
        out.tensor(name, DType.F32, new long[]{cols, rows}, (r, dst) -> System.arraycopy(values, (int) r * cols, dst, 0, cols));
    }

    private static void vector(GgufWriter out, String name, float[] v) {
        out.tensor(name, DType.F32, new long[]{v.length}, (r, dst) -> System.arraycopy(v, 0, dst, 0, v.length));
    }

}
