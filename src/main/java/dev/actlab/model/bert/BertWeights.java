package dev.actlab.model.bert;

import dev.actlab.tensor.WeightMatrix;

/**
 * The weights of a BERT encoder, named by role. Matrices are used as y = W x with W [out, in].
 * ln1 is BERT's attention.output.LayerNorm, ln2 its output.LayerNorm (both after the residual add).
 *
 * @param wordEmbedding     [vocab, d]
 * @param positionEmbedding [max_positions, d]
 * @param typeEmbedding     [type_vocab, d]
 * @param embedNormWeight   [d], embedNormBias [d]
 */
public record BertWeights(
        float[] wordEmbedding, float[] positionEmbedding, float[] typeEmbedding,
        float[] embedNormWeight, float[] embedNormBias,
        WeightMatrix[] wq, WeightMatrix[] wk, WeightMatrix[] wv,   // [layers] of [d, d]
        float[][] bq, float[][] bk, float[][] bv,                  // [layers][d]
        WeightMatrix[] wo, float[][] bo,                           // [d, d], [d]
        float[][] ln1Weight, float[][] ln1Bias,                    // [layers][d]
        WeightMatrix[] wIn, float[][] bIn,                         // [d_mlp, d], [d_mlp]
        WeightMatrix[] wOut, float[][] bOut,                       // [d, d_mlp], [d]
        float[][] ln2Weight, float[][] ln2Bias) {

    /** Checks every tensor against the config; names the first one that does not fit. */
    public void validate(BertConfig c, String source) {
        int d = c.dModel();
        vec(source, "embeddings.word_embeddings", wordEmbedding, (long) c.vocabSize() * d);
        vec(source, "embeddings.position_embeddings", positionEmbedding, (long) c.maxPositions() * d);
        vec(source, "embeddings.token_type_embeddings", typeEmbedding, (long) c.typeVocab() * d);
        vec(source, "embeddings.LayerNorm.weight", embedNormWeight, d);
        vec(source, "embeddings.LayerNorm.bias", embedNormBias, d);
        for (int l = 0; l < c.layers(); l++) {
            String p = "encoder.layer." + l + ".";
            mat(source, p + "attention.self.query", wq[l], d, d);
            mat(source, p + "attention.self.key", wk[l], d, d);
            mat(source, p + "attention.self.value", wv[l], d, d);
            mat(source, p + "attention.output.dense", wo[l], d, d);
            mat(source, p + "intermediate.dense", wIn[l], c.dMlp(), d);
            mat(source, p + "output.dense", wOut[l], d, c.dMlp());
            vec(source, p + "attention.self.query.bias", bq[l], d);
            vec(source, p + "attention.self.key.bias", bk[l], d);
            vec(source, p + "attention.self.value.bias", bv[l], d);
            vec(source, p + "attention.output.dense.bias", bo[l], d);
            vec(source, p + "intermediate.dense.bias", bIn[l], c.dMlp());
            vec(source, p + "output.dense.bias", bOut[l], d);
            vec(source, p + "attention.output.LayerNorm.weight", ln1Weight[l], d);
            vec(source, p + "attention.output.LayerNorm.bias", ln1Bias[l], d);
            vec(source, p + "output.LayerNorm.weight", ln2Weight[l], d);
            vec(source, p + "output.LayerNorm.bias", ln2Bias[l], d);
        }
    }

    private static void mat(String source, String name, WeightMatrix m, int rows, int cols) {
        if (m == null) throw new IllegalArgumentException(source + ": tensor " + name + " is missing");
        if (m.rows() != rows || m.cols() != cols)
            throw new IllegalArgumentException(source + ": tensor " + name + " is [" + m.rows() + ", " + m.cols() + "], config needs [" + rows + ", " + cols + "]");
    }

    private static void vec(String source, String name, float[] v, long n) {
        if (v == null) throw new IllegalArgumentException(source + ": tensor " + name + " is missing");
        if (v.length != n) throw new IllegalArgumentException(source + ": tensor " + name + " has " + v.length + " values, config needs " + n);
    }
}
