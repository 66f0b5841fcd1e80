package dev.actlab.model.llama;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every named Llama shape actlab knows, in one list: the shapes of real models (random weights
 * for `bench --model random:NAME`, `synth --shape NAME`) and the training presets
 * (`train --config NAME`, `bench --train --config NAME`), whose vocabulary and context come
 * from the run.
 *
 * <p>Before this list, "tiny" meant three shapes. Each place keeps its old meaning as an alias:
 * {@code random:tiny} is {@link #STORIES_260K}, {@code synth --shape tiny} is {@link #TINY_QUANT},
 * {@code --config tiny} is the training preset {@link #TINY}.
 */
public enum LlamaShape {
    /** stories260K (llama2.c's smallest checkpoint). */
    STORIES_260K("260K", false, new LlamaConfig("llama", 64, 172, 5, 8, 4, 512, 512, 1e-5f, 10000f, false, null, true)),
    /** llama2.c stories110M. */
    STORIES_110M("110M", false, new LlamaConfig("llama", 768, 2048, 12, 12, 12, 32000, 1024, 1e-5f, 10000f, false, null, true)),
    /** Llama 3.2 1B: grouped-query attention, tied embeddings, llama3 RoPE scaling. */
    LLAMA_3_2_1B("1B", false, new LlamaConfig("llama", 2048, 8192, 16, 32, 8, 128256, 131072, 1e-5f, 500000f, false,
            new LlamaConfig.RopeScaling(32f, 1f, 4f, 8192), true)),
    /** Small enough for tests, yet every row is whole blocks of each quantized format (dims multiples of 32). */
    TINY_QUANT("tiny-quant", false, new LlamaConfig("llama", 128, 384, 4, 4, 2, 1024, 256, 1e-5f, 10000f, false, null, false)),

    /** Training preset, ~0.1M parameters: seconds per hundred steps, for tests and smoke runs. */
    TINY("tiny", true, preset(64, 176, 2, 4, 2)),
    /** Training preset, ~4.8M parameters: the first real actlab decoder. */
    SMALL("small", true, preset(256, 688, 6, 8, 4)),
    /** Training preset, ~2.3M parameters plus the embedding (0.8M at 4096 BPE tokens): actlab's default Brown decoder. */
    BROWN("brown", true, preset(192, 512, 5, 6, 2)),
    /** Training preset, ~9.4M parameters plus the embedding (1.6M at 4096 BPE tokens). */
    MEDIUM("medium", true, preset(384, 1024, 6, 12, 4));

    private final String label;
    private final boolean trainingPreset;
    private final LlamaConfig config;

    LlamaShape(String label, boolean trainingPreset, LlamaConfig config) {
        this.label = label; this.trainingPreset = trainingPreset; this.config = config;
    }

    /** A preset's dims with the byte vocabulary (256 bytes + BOS) and 128 positions: `actlab train`'s defaults. */
    private static LlamaConfig preset(int dim, int hidden, int layers, int heads, int kvHeads) {
        return new LlamaConfig("llama", dim, hidden, layers, heads, kvHeads, 257, 128, 1e-5f, 10000f, false, null, true);
    }

    /** The name users type: "260K", "1B", "tiny-quant", "brown". */
    public String label() { return label; }

    /** True for a training preset, whose vocabulary and context a run chooses. */
    public boolean trainingPreset() { return trainingPreset; }

    /** The shape as a whole config (for a training preset: byte vocabulary, 128 positions). */
    public LlamaConfig config() { return config; }

    /** The same layers with the run's context length and vocabulary. */
    public LlamaConfig config(int contextLength, int vocabSize) {
        LlamaConfig c = config;
        return new LlamaConfig(c.architecture(), c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), vocabSize, contextLength,
                c.normEps(), c.ropeTheta(), c.ropeHalfSplit(), c.ropeScaling(), c.tiedEmbeddings());
    }

    /** The shape with this label (case ignored), if it is a training preset exactly when trainingPreset is. */
    public static Optional<LlamaShape> find(String label, boolean trainingPreset) {
        return Arrays.stream(values())
                .filter(s -> s.trainingPreset == trainingPreset && s.label.equalsIgnoreCase(label.trim()))
                .findFirst();
    }

    /** The labels of the real-model shapes or of the training presets, for error messages: "260K, 110M, 1B, tiny-quant". */
    public static String labels(boolean trainingPreset) {
        return Arrays.stream(values()).filter(s -> s.trainingPreset == trainingPreset).map(LlamaShape::label).collect(Collectors.joining(", "));
    }

    /** The training preset `--config` names: tiny, small, brown or medium. */
    public static LlamaShape trainingPreset(String label) {
        return find(label, true).orElseThrow(() -> new IllegalArgumentException("--config must be " + labels(true).replace(", medium", " or medium") + ", got " + label));
    }
}
