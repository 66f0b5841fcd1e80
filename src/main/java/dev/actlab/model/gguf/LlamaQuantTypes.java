package dev.actlab.model.gguf;

import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.tensor.DType;

/**
 * The type llama-quantize stores each tensor of a dense Llama decoder in, for a requested type T.
 * <ul>
 * <li>pure ({@code llama-quantize --pure}): every matrix in T. Where a matrix's rows are not whole
 *     T-blocks llama-quantize aborts; actlab takes its fallback instead (see {@link GgufWriter#fittingType}).</li>
 * <li>mixture (llama-quantize without --pure, what users get by default): T's mixture rules of
 *     llama.cpp's quantizer for dense models (Q3_K means Q3_K_M, Q4_K Q4_K_M, Q5_K Q5_K_M, as
 *     llama-quantize reads those names): the output matrix (the tied token embedding when there is none)
 *     in Q6_K, or Q8_0 when its rows are not whole T-blocks; more bits for some attn_v, ffn_down and
 *     attn_output matrices; then the fallback for rows that are not whole blocks (K-quants to
 *     IQ4_NL, Q5_0, Q5_1, Q8_0; F16 when even that does not fit).</li>
 * </ul>
 * Vectors (norms, rope_freqs) stay F32. Stateful: call {@link #typeOf} once per tensor in llama.cpp's
 * tensor order ({@link LlamaQuantizeFile#ORDER}), since which attn_v and ffn_down get more bits depends
 * on how many came before.
 */
public final class LlamaQuantTypes {
    private final DType requested;
    private final boolean pure, hasImatrix, hasOutput, is70B;
    private final int layers, gqa;
    private int attnV, ffnDown;   // llama.cpp's i_attention_wv, i_ffn_down: such tensors seen so far

    public LlamaQuantTypes(LlamaConfig c, DType requested, boolean pure, boolean hasImatrix) {
        this.requested = requested;
        this.pure = pure;
        this.hasImatrix = hasImatrix;
        this.hasOutput = !c.tiedEmbeddings();
        this.layers = c.layers();
        this.gqa = c.heads() / c.kvHeads();
        this.is70B = !c.ropeHalfSplit() && c.layers() == 80 && c.heads() != c.kvHeads();   // llama.cpp's LLM_TYPE_70B for llama
    }

    /** The stored type of tensor name with cols columns (a vector when !matrix). */
    public DType typeOf(String name, long cols, boolean matrix) {
        if (!matrix) return DType.F32;
        if (pure || !quantizedType(requested)) return GgufLlamaWriter.storedType(cols, requested);
        DType t = mixture(name, cols);
        DType fitting = GgufWriter.fittingType(t, cols);
        return fitting != null ? fitting : DType.F16;
    }

    private static boolean quantizedType(DType t) { return t != DType.F32 && t != DType.F16; }

    private DType mixture(String name, long cols) {
        DType t = requested;
        if (name.equals("output.weight") || (!hasOutput && name.equals("token_embd.weight"))) {
            if (t == DType.MXFP4 || cols % t.blockSize != 0) return DType.Q8_0;
            return t == DType.Q8_0 ? t : DType.Q6_K;
        }
        if (t == DType.MXFP4) return DType.Q8_0;   // dense tensors; MXFP4 is for experts
        if (name.equals("token_embd.weight")) return t;
        if (name.contains("attn_v.weight")) {
            switch (t) {
                case Q2_K -> t = gqa >= 4 ? DType.Q4_K : DType.Q3_K;
                case Q3_K -> t = attnV < 2 ? DType.Q5_K : DType.Q4_K;
                case IQ4_NL -> t = gqa >= 4 ? DType.Q5_K : t;
                case Q4_K, Q5_K -> t = moreBits(attnV, layers) ? DType.Q6_K : t;
                default -> { }
            }
            if (is70B && (t == DType.Q3_K || t == DType.Q4_K)) t = DType.Q5_K;
            attnV++;
            return t;
        }
        if (name.contains("attn_k.weight") || name.contains("attn_q.weight")) return t;
        if (name.contains("ffn_down")) {
            int i = ffnDown++;
            return switch (t) {
                case Q2_K -> DType.Q3_K;
                case Q3_K -> i < layers / 16 ? DType.Q5_K : DType.Q4_K;
                case Q4_K, Q5_K -> moreBits(i, layers) ? DType.Q6_K : t;
                case IQ4_NL -> i < layers / 8 && !hasImatrix ? DType.Q5_K : t;
                case Q4_0 -> hasImatrix && i < layers / 8 ? DType.Q4_1 : t;
                case Q5_0 -> hasImatrix && i < layers / 8 ? DType.Q5_1 : t;
                default -> t;
            };
        }
        if (name.contains("attn_output.weight")) {
            return switch (t) {
                case Q2_K -> DType.Q3_K;
                case Q3_K -> DType.Q4_K;
                default -> t;
            };
        }
        return t;
    }

    /** llama.cpp's use_more_bits: the first and last eighth of the layers and every third between. */
    private static boolean moreBits(int i, int n) {
        return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }

    /**
     * llama.cpp's LLAMA_FTYPE for a requested type (llama.h), what llama-quantize stores as
     * general.file_type: Q3_K, Q4_K, Q5_K are its _M mixtures' ids, MXFP4 its MXFP4_MOE.
     */
    public static int fileType(DType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q8_0 -> 7;
            case Q5_0 -> 8;
            case Q5_1 -> 9;
            case Q2_K -> 10;
            case Q3_K -> 12;
            case Q4_K -> 15;
            case Q5_K -> 17;
            case Q6_K -> 18;
            case IQ4_NL -> 25;
            case MXFP4 -> 38;
            default -> throw new IllegalArgumentException("llama.cpp has no file type for " + t);
        };
    }
}
