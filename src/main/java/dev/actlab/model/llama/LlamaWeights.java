package dev.actlab.model.llama;

import dev.actlab.tensor.WeightMatrix;

/**
 * The named weights of a Llama-family decoder. Matrices are used as y = W x with W [out, in].
 *
 * @param tokenEmbedding [vocab, dim]
 * @param output         [vocab, dim] (the same object as tokenEmbedding when tied)
 * @param qBias          per-layer [q_dim] or null (Qwen2); kBias, vBias likewise [kv_dim]
 */
public record LlamaWeights(
        WeightMatrix tokenEmbedding,
        float[][] attnNorm,        // [layers][dim]
        WeightMatrix[] wq,         // [layers] of [q_dim, dim]
        WeightMatrix[] wk,         // [layers] of [kv_dim, dim]
        WeightMatrix[] wv,         // [layers] of [kv_dim, dim]
        WeightMatrix[] wo,         // [layers] of [dim, q_dim]
        float[][] qBias, float[][] kBias, float[][] vBias,
        float[][] ffnNorm,         // [layers][dim]
        WeightMatrix[] wGate,      // [layers] of [hidden, dim]  (w1); entries null for a plain MLP
        WeightMatrix[] wDown,      // [layers] of [dim, hidden]  (w2)
        WeightMatrix[] wUp,        // [layers] of [hidden, dim]  (w3)
        float[] finalNorm,         // [dim]
        WeightMatrix output) {

    /** Checks every tensor against the config; names the first one that does not fit. */
    public void validate(LlamaConfig c, String source) {
        expect(source, "token_embd", tokenEmbedding, c.vocabSize(), c.dim());
        expect(source, "output", output, c.vocabSize(), c.dim());
        expectVec(source, "output_norm", finalNorm, c.dim());
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            expectVec(source, p + "attn_norm", attnNorm[l], c.dim());
            expectVec(source, p + "ffn_norm", ffnNorm[l], c.dim());
            expect(source, p + "attn_q", wq[l], c.qDim(), c.dim());
            expect(source, p + "attn_k", wk[l], c.kvDim(), c.dim());
            expect(source, p + "attn_v", wv[l], c.kvDim(), c.dim());
            expect(source, p + "attn_output", wo[l], c.dim(), c.qDim());
            if (c.mlp().gated()) expect(source, p + "ffn_gate", wGate[l], c.hiddenDim(), c.dim());   // a plain MLP has none
            expect(source, p + "ffn_up", wUp[l], c.hiddenDim(), c.dim());
            expect(source, p + "ffn_down", wDown[l], c.dim(), c.hiddenDim());
            if (qBias != null) {
                expectVec(source, p + "attn_q.bias", qBias[l], c.qDim());
                expectVec(source, p + "attn_k.bias", kBias[l], c.kvDim());
                expectVec(source, p + "attn_v.bias", vBias[l], c.kvDim());
            }
        }
    }

    private static void expect(String source, String name, WeightMatrix m, int rows, int cols) {
        if (m == null) throw new IllegalArgumentException(source + ": tensor " + name + " is missing");
        if (m.rows() != rows || m.cols() != cols)
            throw new IllegalArgumentException(source + ": tensor " + name + " is [" + m.rows() + ", " + m.cols() + "], config needs [" + rows + ", " + cols + "]");
    }

    private static void expectVec(String source, String name, float[] v, int n) {
        if (v == null) throw new IllegalArgumentException(source + ": tensor " + name + " is missing");
        if (v.length != n) throw new IllegalArgumentException(source + ": tensor " + name + " has " + v.length + " values, config needs " + n);
    }

    /** Bytes of weights read per decoded token (embedding row excluded, output matrix included). */
    public long bytesPerToken() {
        long b = output.byteSize();
        for (int l = 0; l < wq.length; l++)
            b += wq[l].byteSize() + wk[l].byteSize() + wv[l].byteSize() + wo[l].byteSize()
                    + (wGate[l] == null ? 0 : wGate[l].byteSize()) + wUp[l].byteSize() + wDown[l].byteSize();
        return b;
    }
}
