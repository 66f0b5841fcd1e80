package dev.actlab.model.bert;

/**
 * Shape of a BERT encoder.
 *
 * @param vocabSize    word-piece vocabulary (30522 for uncased English BERT)
 * @param maxPositions learned position embeddings (512)
 * @param typeVocab    token-type (segment) embeddings (2)
 * @param dModel       hidden size (384 for MiniLM-L6)
 * @param layers       transformer blocks
 * @param heads        attention heads; dModel / heads is the head size
 * @param dMlp         intermediate (feed-forward) size
 * @param normEps      LayerNorm epsilon (1e-12 in BERT)
 */
public record BertConfig(int vocabSize, int maxPositions, int typeVocab, int dModel, int layers, int heads, int dMlp, float normEps) {
    public BertConfig {
        if (vocabSize <= 0 || maxPositions <= 0 || typeVocab <= 0 || dModel <= 0 || layers <= 0 || heads <= 0 || dMlp <= 0)
            throw new IllegalArgumentException("BERT config needs positive sizes: " + this);
        if (dModel % heads != 0) throw new IllegalArgumentException("d_model " + dModel + " is not a multiple of heads " + heads);
    }

    public int headSize() { return dModel / heads; }

    /** Multiply-adds per token of the dense layers (attention's own QK and PV excluded). */
    public long denseMacsPerToken() { return (long) layers * (4L * dModel * dModel + 2L * dModel * dMlp); }
}
