package dev.actlab.model.llama;

/**
 * Shape and hyper-parameters of a Llama-family decoder (Llama 2/3, Mistral, Qwen2, SmolLM).
 *
 * @param ropeHalfSplit  true for the rotate-half convention of Hugging Face checkpoints and
 *                       GGUF "neox" architectures (qwen2): pairs (x[i], x[i + d/2]); false for
 *                       adjacent pairs (x[2i], x[2i+1]) of GGUF llama and llama2.c
 * @param ropeScaling    llama3-style frequency scaling, or null
 * @param mlp            what the MLP computes (null: Llama's SwiGLU, {@link MlpSpec#SWIGLU})
 */
public record LlamaConfig(
        String architecture,
        int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize, int contextLength,
        float normEps, float ropeTheta, boolean ropeHalfSplit, RopeScaling ropeScaling,
        boolean tiedEmbeddings, MlpSpec mlp) {

    /** A Llama config with Llama's SwiGLU MLP. */
    public LlamaConfig(String architecture, int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize, int contextLength,
                       float normEps, float ropeTheta, boolean ropeHalfSplit, RopeScaling ropeScaling, boolean tiedEmbeddings) {
        this(architecture, dim, hiddenDim, layers, heads, kvHeads, vocabSize, contextLength, normEps, ropeTheta, ropeHalfSplit,
                ropeScaling, tiedEmbeddings, MlpSpec.SWIGLU);
    }

    /** The same config with another MLP. */
    public LlamaConfig withMlp(MlpSpec m) {
        return new LlamaConfig(architecture, dim, hiddenDim, layers, heads, kvHeads, vocabSize, contextLength, normEps, ropeTheta,
                ropeHalfSplit, ropeScaling, tiedEmbeddings, m);
    }

    /**
     * Llama 3.1 style RoPE frequency scaling. Checked like the config: every value finite, factor
     * at least 1, 0 < low_freq_factor < high_freq_factor, a positive original context length;
     * otherwise IllegalArgumentException naming the field.
     */
    public record RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalContextLength) {
        public RopeScaling {
            if (!(factor >= 1 && factor <= 1e6f)) throw new IllegalArgumentException("rope scaling factor = " + factor + " is not a finite number in [1, 1e6]");
            if (!(lowFreqFactor > 0 && Float.isFinite(lowFreqFactor)))
                throw new IllegalArgumentException("rope scaling low_freq_factor = " + lowFreqFactor + " is not a finite positive number");
            if (!(highFreqFactor > lowFreqFactor && Float.isFinite(highFreqFactor)))
                throw new IllegalArgumentException("rope scaling high_freq_factor = " + highFreqFactor + " is not a finite number above low_freq_factor = " + lowFreqFactor);
            if (originalContextLength < 1) throw new IllegalArgumentException("rope scaling original_max_position_embeddings = " + originalContextLength + " is not positive");
        }
    }

    public int headSize() { return dim / heads; }
    public int kvDim() { return kvHeads * headSize(); }
    public int qDim() { return heads * headSize(); }

    /**
     * Checks the shape is one a forward pass can run and the hyperparameters are numbers that give
     * finite logits (eps in (0, 1), theta above 1, both finite); throws IllegalArgumentException
     * naming the field.
     */
    public LlamaConfig {
        if (mlp == null) mlp = MlpSpec.SWIGLU;   // checkpoints written before the MLP was a choice
        if (mlp.topK() > hiddenDim) throw new IllegalArgumentException("MLP top-k = " + mlp.topK() + " exceeds hidden_dim " + hiddenDim);
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
        // a NaN, infinite or non-positive epsilon or theta makes every logit NaN or garbage: refuse it here, whatever the format
        if (!(normEps > 0 && Float.isFinite(normEps)))
            throw new IllegalArgumentException("rms_norm_eps = " + normEps + " is not a finite positive number");
        if (!(normEps < 1)) throw new IllegalArgumentException("rms_norm_eps = " + normEps + " is not below 1 (RMSNorm epsilons are tiny, e.g. 1e-5)");
        if (!(ropeTheta > 0 && Float.isFinite(ropeTheta)))
            throw new IllegalArgumentException("rope_theta = " + ropeTheta + " is not a finite positive number");
        if (!(ropeTheta > 1)) throw new IllegalArgumentException("rope_theta = " + ropeTheta + " is not above 1 (RoPE bases are e.g. 10000 or 500000)");
    }

    private static void check(String field, int v, int min, int max) {
        if (v < min || v > max) throw new IllegalArgumentException(field + " = " + v + " is outside [" + min + ", " + max + "]");
    }

    /** Total parameter count (embedding counted once when tied). */
    public long parameterCount() {
        long perLayer = 2L * dim + (long) dim * qDim() + 2L * dim * kvDim() + (long) qDim() * dim + (mlp.gated() ? 3L : 2L) * dim * hiddenDim;
        return (long) vocabSize * dim * (tiedEmbeddings ? 1 : 2) + layers * perLayer + dim;
    }
}
