package dev.actlab.model.llama;

import dev.actlab.tensor.RoundedInputMatrix;
import dev.actlab.tensor.WeightMatrix;
import java.util.Arrays;

/**
 * The same decoder computing with the roundings llama.cpp's CPU backend adds to float32 arithmetic
 * (llama-perplexity's defaults, ggml 0.9.7, x86 AVX2), so that its figures can be reproduced:
 * <ul>
 * <li>every matmul input (q, k, v, o, gate, up, down and the unembedding) rounded to the "vec_dot_type"
 *     of its weights ({@link dev.actlab.tensor.GgmlInputRounding}: Q8_0 blocks for Q8_0/Q4_0/Q5_0
 *     weights, Q8_K blocks for K-quants, F16 for F16 weights, none for F32);</li>
 * <li>keys (after RoPE) and values rounded to float16 as they enter the KV cache (llama.cpp's default
 *     cache type). With flash attention, on by default for the CPU, that is all: its tiled kernel
 *     widens the cached keys and values to float32 and keeps queries, scores and the weighted sum of
 *     values in float32.</li>
 * </ul>
 * The token embedding lookup dequantizes exactly, as ggml's get_rows does.
 */
public final class LlamaCppArithmetic {
    private LlamaCppArithmetic() {}

    /** A new model over the same weights (nothing copied); inner hooks of m are not carried over. */
    public static LlamaModel of(LlamaModel m) {
        LlamaWeights w = m.weights();
        LlamaWeights r = new LlamaWeights(w.tokenEmbedding(), w.attnNorm(),
                wrap(w.wq()), wrap(w.wk()), wrap(w.wv()), wrap(w.wo()), w.qBias(), w.kBias(), w.vBias(),
                w.ffnNorm(), wrap(w.wGate()), wrap(w.wDown()), wrap(w.wUp()), w.finalNorm(), wrap(w.output()));
        return new LlamaModel(m.config(), r, m.tokenizer(), m.source()).withParallel(m.parallel()).withF16KvCache();
    }

    private static WeightMatrix[] wrap(WeightMatrix[] ms) {
        return Arrays.stream(ms).map(LlamaCppArithmetic::wrap).toArray(WeightMatrix[]::new);
    }

    private static WeightMatrix wrap(WeightMatrix m) { return m == null ? null : new RoundedInputMatrix(m); }
}
