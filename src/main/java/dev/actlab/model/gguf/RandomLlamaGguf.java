package dev.actlab.model.gguf;

import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.tokenizer.SyntheticVocabulary;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.TwoFourF32Matrix;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The GGUF of a Llama with random weights (`actlab synth`), streamed tensor by tensor: matrices
 * ~ N(0, 0.02^2) (GPT-2's initialisation scale, which keeps activations sane), norm weights 1,
 * llama3 RoPE divisors when scaled. Each tensor has its own generator seeded from (seed, tensor
 * index), so the bytes depend only on the seed. The file carries a made-up SentencePiece tokenizer
 * of the model's vocabulary size ({@link SyntheticVocabulary}: specials, byte fallback, letter
 * pieces) in llama.cpp's {@code tokenizer.ggml.*} keys, so llama.cpp loads it as it loads a real model.
 */
public final class RandomLlamaGguf {
    private RandomLlamaGguf() {}

    /** A writer for config c with matrices stored as type (F16 where rows are not whole blocks). */
    public static GgufWriter writer(LlamaConfig c, DType type, long seed, String name) { return writer(c, type, seed, name, false); }

    /**
     * As above; twoFour: the block matrices (blk.*) are pruned 2:4 by magnitude row by row (exact
     * zeros, see TwoFourF32Matrix.keepLargestTwo), the embedding and unembedding stay dense.
     */
    public static GgufWriter writer(LlamaConfig c, DType type, long seed, String name, boolean twoFour) {
        GgufWriter w = new GgufWriter();
        GgufLlamaWriter.putConfig(w, c, name);
        putTokenizer(w, SyntheticVocabulary.of(c.vocabSize()));
        List<GgufLlamaWriter.Slot> slots = GgufLlamaWriter.slots(c, false);
        for (int i = 0; i < slots.size(); i++) {
            GgufLlamaWriter.Slot slot = slots.get(i);
            GgufWriter.Rows rows;
            if (slot.name().equals("rope_freqs.weight")) {
                float[] div = GgufLlamaLoader.llama3Divisors(c, c.ropeScaling());
                rows = (r, dst) -> System.arraycopy(div, 0, dst, 0, div.length);
            } else if (!slot.matrix()) {
                rows = (r, dst) -> Arrays.fill(dst, 1f);
            } else {
                SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
                boolean prune = twoFour && slot.name().startsWith("blk.");
                rows = (r, dst) -> {
                    for (int k = 0; k < dst.length; k++) dst[k] = (float) (rnd.nextGaussian() * 0.02);
                    if (prune) TwoFourF32Matrix.keepLargestTwo(dst, 0, dst.length);
                };
            }
            w.tensor(slot.name(), GgufLlamaWriter.storedType(slot, type), slot.dims(), rows);
        }
        return w;
    }

    /** llama.cpp's keys for a SentencePiece ("llama") tokenizer. */
    static void putTokenizer(GgufWriter w, SyntheticVocabulary v) {
        w.put("tokenizer.ggml.model", GgufValue.string("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, v.tokens().toArray(String[]::new)))
                .put("tokenizer.ggml.scores", GgufValue.array(GgufValueType.FLOAT32, v.scores()))
                .put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, v.types()))
                .put("tokenizer.ggml.unknown_token_id", GgufValue.u32(SyntheticVocabulary.UNK))
                .put("tokenizer.ggml.bos_token_id", GgufValue.u32(SyntheticVocabulary.BOS))
                .put("tokenizer.ggml.eos_token_id", GgufValue.u32(SyntheticVocabulary.EOS))
                .put("tokenizer.ggml.add_bos_token", GgufValue.of(GgufValueType.BOOL, true))
                .put("tokenizer.ggml.add_eos_token", GgufValue.of(GgufValueType.BOOL, false));
    }
}
