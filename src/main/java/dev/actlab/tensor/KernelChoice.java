package dev.actlab.tensor;

/**
 * Switches between a kernel and the one it replaced, for in-process A/B benchmarks (which
 * alternate the two over rounds on a loaded machine) and nothing else: the defaults are the
 * paths measured faster. Both paths of each switch are tested against the same scalar reference.
 */
public final class KernelChoice {
    private KernelChoice() {}

    /** Prefill of >= {@link TiledMatmul#MIN_TOKENS} tokens on F32, F16, Q8_0, Q4_0 weights as a GEMM on dequantized tiles (else per-row dots). */
    public static volatile boolean tiledPrefill = true;

    /**
     * Decode: the matrices that read the same input (Q, K, V) in one parallel region, one handoff
     * instead of three. Off: on the loaded AVX2 machine it measured 0.84x of the
     * separate matmuls (110M F32, medians of alternating rounds, with gate and up fused as well); to be re-measured idle.
     */
    public static volatile boolean fusedDecode = false;

    /**
     * Decode of Llama's gated MLP: gate, up and the SiLU product in one parallel region
     * ({@link MatmulGroup#runPaired}) instead of three, when no hook listens at hook_pre or hook_pre_linear.
     * Off: on the loaded AVX2 machine (load average 14) it measured 0.80x / 0.83x of the three regions
     * (110M F32, median / median of per-round ratios, 12 alternating rounds), like fusedDecode; an idle
     * barrier costs ~1 us, so four fewer per layer can gain at most ~0.2% of a 110M token. To be re-measured idle.
     */
    public static volatile boolean fusedMlp = false;

    /**
     * Training's GEMM on AVX2 with A stored transposed (weight gradients dW = dy^T x, attention's
     * dK and dV): A's strips transposed into rows while packing, for the row-strip 6 x 2 tiles,
     * instead of column-packed (or read in place) for the 12 x 2 tile that broadcasts MR
     * consecutive values per j. (AVX-512 keeps the 12 x 2 tile.)
     */
    public static volatile boolean transposedAAsRows = true;
}
