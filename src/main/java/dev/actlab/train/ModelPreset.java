package dev.actlab.train;

import dev.actlab.model.llama.LlamaConfig;

/** Named decoder shapes for `actlab train --config`; the vocabulary comes from the tokenizer. */
public enum ModelPreset {
    /** ~0.1M parameters: seconds per hundred steps, for tests and smoke runs. */
    TINY(64, 176, 2, 4, 2),
    /** ~4.8M parameters: the first real actlab decoder. */
    SMALL(256, 688, 6, 8, 4),
    /** ~2.3M parameters plus the embedding (0.8M at 4096 BPE tokens): actlab's default Brown decoder. */
    BROWN(192, 512, 5, 6, 2);

    private final int dim, hidden, layers, heads, kvHeads;

    ModelPreset(int dim, int hidden, int layers, int heads, int kvHeads) {
        this.dim = dim; this.hidden = hidden; this.layers = layers; this.heads = heads; this.kvHeads = kvHeads;
    }

    /** The shape with the byte-level vocabulary (256 bytes + BOS). */
    public LlamaConfig config(int contextLength) { return config(contextLength, TokenStream.BYTE_VOCAB); }

    public LlamaConfig config(int contextLength, int vocabSize) {
        return new LlamaConfig("llama", dim, hidden, layers, heads, kvHeads, vocabSize, contextLength,
                1e-5f, 10000f, false, null, true);
    }
}
