package dev.actlab.model.llama;

/**
 * Shape and hyper-parameters of a Llama-family decoder (Llama 2/3, Mistral, Qwen2, SmolLM).
 *
 * @param ropeHalfSplit  true for the rotate-half convention of Hugging Face checkpoints and
 *                       GGUF "neox" architectures (qwen2): pairs (x[i], x[i + d/2]); false for
 *                       adjacent pairs (x[2i], x[2i+1]) of GGUF llama and llama2.c
 * @param ropeScaling    llama3-style frequency scaling, or null
 */
public record LlamaConfig(
        String architecture,
        int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize, int contextLength,
        float normEps, float ropeTheta, boolean ropeHalfSplit, RopeScaling ropeScaling,
        boolean tiedEmbeddings) {

    /** Llama 3.1 style RoPE frequency scaling. */
    public record RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalContextLength) {}

    public int headSize() { return dim / heads; }
    public int kvDim() { return kvHeads * headSize(); }
    public int qDim() { return heads * headSize(); }

    /** Checks the shape is one a forward pass can run; throws IllegalArgumentException naming the field. */
    public LlamaConfig {
        check("dim", dim, 1, 1 << 16);
        check("hidden_dim", hiddenDim, 1, 1 << 18);
        check("n_layers", layers, 1, 1024);
        check("n_heads", heads, 1, 1024);
        check("n_kv_heads", kvHeads, 1, heads);
        check("vocab_size", vocabSize, 1, 1 << 22);
        check("context_length", contextLength, 1, 1 << 21);
        if (dim % heads != 0) throw new IllegalArgumentException("dim " + dim + " is not a multiple of n_heads " + heads);
        if (heads % kvHeads != 0) throw new IllegalArgumentException("n_heads " + heads + " is not a multiple of n_kv_heads " + kvHeads);
        if ((dim / heads) % 2 != 0) throw new IllegalArgumentException("head size " + dim / heads + " must be even for RoPE");
    }

    private static void check(String field, int v, int min, int max) {
        if (v < min || v > max) throw new IllegalArgumentException(field + " = " + v + " is outside [" + min + ", " + max + "]");
    }

    /** Total parameter count (embedding counted once when tied). */
    public long parameterCount() {
        long perLayer = 2L * dim + (long) dim * qDim() + 2L * dim * kvDim() + (long) qDim() * dim + 3L * dim * hiddenDim;
        return (long) vocabSize * dim * (tiedEmbeddings ? 1 : 2) + layers * perLayer + dim;
    }
}
