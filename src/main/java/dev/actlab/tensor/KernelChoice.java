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

    /** TiledMatmul: out written token by token from a C block padded by a line (else row by row, at out's stride; same bits). */
    public static volatile boolean prefillTokenMajor = true;

    /**
     * TiledMatmul with 32 vector registers: tokens in panels of 4 vectors through the 6 x 4 tile where n fills them (else
     * all in panels of 2, the 12 x 2 tile; same bits). Off: both tiles alone run at 99% of the FMA peak on AVX-512, and
     * 110M prefill measured x1.01-1.04 best, x1.00-1.02 median (noise). Property actlab.prefillWidePanels=true turns it on.
     */
    public static volatile boolean prefillWidePanels = Boolean.parseBoolean(System.getProperty("actlab.prefillWidePanels", "false"));

    /**
     * TiledMatmul: a block's weight rows dequantized for all columns in one sequential pass when they fit L2 (else per KC
     * chunk; same bits). On: 110M prefill on the AVX-512 machine, alternating in one process, F32 x1.05 / x1.05 / x1.03 and
     * F16 x1.05 / x1.08 / x1.11 (best / median / per-round median; docs/engine-speed-log.md, issue 20, branch prefill6).
     * Property actlab.prefillRowStream=false turns it off.
     */
    public static volatile boolean prefillRowStream = Boolean.parseBoolean(System.getProperty("actlab.prefillRowStream", "true"));

    /** Prefill (>= 16 tokens): RoPE's cos/sin once per forward pass, RMSNorm over the threads when unhooked (else per call, serial; same bits). */
    public static volatile boolean prefillRopeNorm = true;

    /**
     * Q8_0 decode (n < 4 tokens): each row through the one-row dot (two blocks per loop step)
     * instead of four rows per pass. On AVX2 (loaded machine, 1 thread, 8192 x 2048) the four-row
     * kernel measured 0.47x (4.2 vs 8.9 GB of weights per CPU-second, best of alternating rounds).
     * Both give the bits of dot.
     */
    public static volatile boolean q8RowDecode = true;

    /**
     * Q8_0 decode (n < 4 tokens) on 16 float lanes (AVX-512): four rows per pass a quarter of the chunk apart, sharing
     * each x load (Q8_0Matrix.rowsStrided), instead of {@link #q8RowDecode}'s one row at a time. Same bits (dot's
     * arithmetic per row). Ignored on 8 lanes, where the four-row form ran out of registers.
     */
    public static volatile boolean q8StridedRows = Boolean.parseBoolean(System.getProperty("actlab.q8StridedRows", "true"));

    /**
     * {@link #q8StridedRows} only for matrices of at least this many columns (same bits either way). Idle A/B, December 8
     * (plain bench, 2 threads, alternating processes): 1B Q8_0 (2048 and 8192 columns) 20.2-20.7 tok/s strided against
     * 17.1 one row at a time; 110M Q8_0 (768 columns) 129-152 against 139-157, the short rows losing to the lane sums.
     */
    public static volatile int q8StridedMinCols = Integer.getInteger("actlab.q8StridedMinCols", 2048);

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
     * F32 decode (n < 4 tokens): four rows per pass a quarter of the chunk apart (four long sequential
     * streams) instead of four adjacent rows (four streams cols * 4 bytes apart, restarting every row).
     * 110M F32 decode, 2 threads, AVX2, alternating in one process: matmuls 21.3 -> 14.4 ms a token
     * (19-25 -> 29-32 GB/s). Same bits (each output keeps dot's arithmetic).
     */
    public static volatile boolean f32StridedRows = true;

    /**
     * F16 decode (n < 4 tokens): four rows per pass a quarter of the chunk apart (as {@link #f32StridedRows}),
     * one x load and four independent FMA chains, instead of one row at a time through dot. Same bits.
     */
    public static volatile boolean f16StridedRows = true;

    /**
     * F16 decode with {@link #f16StridedRows}, when no weight is an infinity or NaN and every |x| < 2^16: x scaled
     * by 2^112 once per token, and each half's bits shifted into a float's place (2 integer ops per 8 weights instead
     * of 9); the products are exactly dot's, so are the bits.
     */
    public static volatile boolean f16ScaledInput = true;

    /**
     * Parallel's idle workers spin 2 ms before parking instead of 50 us, so the serial parts of a decode token
     * (norms, RoPE, attention at short contexts) never let a worker fall asleep between two matmuls (a wake-up
     * costs tens of microseconds on a VM). Costs a busy core while the caller works alone. Off: no measured gain.
     */
    public static volatile boolean longWorkerSpin = false;

    /**
     * Decode attention (n < 4 queries, heads of >= 16, no hook at the scores or pattern): each chunk of heads walks the
     * KV cache position by position ({@link AttentionRows#scoresAt}, four heads per pass; then z += p v position by
     * position), reading it as sequential rows, on the calling thread up to 256K multiply-adds; instead of one
     * (head, query) row at a time, a head's slice of every position (strided), in chunks of >= 32K. Same bits.
     */
    public static volatile boolean decodeAttention = true;

    /**
     * Training's GEMM on AVX2 with A stored transposed (weight gradients dW = dy^T x, attention's
     * dK and dV): A's strips transposed into rows while packing, for the row-strip 6 x 2 tiles,
     * instead of column-packed (or read in place) for the 12 x 2 tile that broadcasts MR
     * consecutive values per j. (AVX-512 keeps the 12 x 2 tile.)
     */
    public static volatile boolean transposedAAsRows = true;

    /** AVX2, A stored transposed, C narrow (attention's dK, dV): A read in place by a 6 x 2 tile instead of transposed into rows while packing. */
    public static volatile boolean transposedANarrowInPlace = true;

    /** AVX2, C = A B (forward products, dx, attention's scores and dP): the 6 x 2 row tiles start from zero instead of clearing C and reading it back. */
    public static volatile boolean zeroStartTiles = true;

    /**
     * The encoder's attention scores on AVX2 ({@link EncoderAttentionKernel}): two 6 x 2 tiles per
     * panel of keys (12 accumulators) instead of the 6 x 4 tile (24, spilled on 16 registers). Same bits.
     */
    public static volatile boolean attentionHalfTiles = true;

    /**
     * The encoder's residual add and LayerNorm in one parallel pass, row by row
     * ({@link LayerNormKernel#addNormalizeAffine}), instead of a serial add and two parallel passes. Same bits.
     */
    public static volatile boolean encoderResidualLayerNorm = true;

    /**
     * The encoder's bias add after a matmul of weights that are not float panels (W8A8) on all threads,
     * together with the GELU epilogue, instead of on the calling thread alone. Same bits.
     */
    public static volatile boolean encoderParallelBias = true;

    /**
     * W8A8 ({@link Int8WeightPanelMatrix}): activations quantized per token with the Vector API straight
     * into floats, instead of the scalar quantizer into shorts and a copy. Same values.
     */
    public static volatile boolean w8a8VectorQuantizer = true;
}
