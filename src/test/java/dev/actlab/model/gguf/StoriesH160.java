package dev.actlab.model.gguf;

import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.tensor.F32Matrix;
import dev.actlab.tensor.WeightMatrix;
import dev.actlab.testutil.Shared;

/**
 * stories260K (a real pretrained model, ../shared/models/stories260K) with its SwiGLU MLP cut to the
 * first 160 of its 172 hidden units: ffn_gate and ffn_up keep rows 0..159, ffn_down columns 0..159.
 * Every matrix then has whole 32-weight blocks, which llama-quantize --pure needs; the floats are
 * the checkpoint's own (slicing only), exactly as src/test/python/make_legacy_quant_fixtures.py cuts them.
 */
final class StoriesH160 {
    static final int HIDDEN = 160;

    private StoriesH160() {}

    static LlamaModel load() throws Exception {
        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        LlamaConfig c = m.config();
        LlamaWeights w = m.weights();
        int layers = c.layers(), dim = c.dim();
        WeightMatrix[] gate = new WeightMatrix[layers], up = new WeightMatrix[layers], down = new WeightMatrix[layers];
        for (int l = 0; l < layers; l++) {
            gate[l] = firstRows(w.wGate()[l], HIDDEN);
            up[l] = firstRows(w.wUp()[l], HIDDEN);
            float[] d = new float[dim * HIDDEN], row = new float[c.hiddenDim()];
            for (int r = 0; r < dim; r++) {
                w.wDown()[l].dequantizeRow(r, row, 0);
                System.arraycopy(row, 0, d, r * HIDDEN, HIDDEN);
            }
            down[l] = F32Matrix.of(d, dim, HIDDEN);
        }
        LlamaConfig cut = new LlamaConfig(c.architecture(), dim, HIDDEN, layers, c.heads(), c.kvHeads(), c.vocabSize(), c.contextLength(),
                c.normEps(), c.ropeTheta(), c.ropeHalfSplit(), c.ropeScaling(), c.tiedEmbeddings(), c.mlp());
        LlamaWeights cw = new LlamaWeights(w.tokenEmbedding(), w.attnNorm(), w.wq(), w.wk(), w.wv(), w.wo(), w.qBias(), w.kBias(), w.vBias(),
                w.ffnNorm(), gate, down, up, w.finalNorm(), w.output());
        return new LlamaModel(cut, cw, m.tokenizer(), m.source() + " (FFN cut to " + HIDDEN + ")");
    }

    private static WeightMatrix firstRows(WeightMatrix m, int rows) {
        float[] v = new float[rows * m.cols()];
        for (int r = 0; r < rows; r++) m.dequantizeRow(r, v, r * m.cols());
        return F32Matrix.of(v, rows, m.cols());
    }
}
