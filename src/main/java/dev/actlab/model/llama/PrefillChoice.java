package dev.actlab.model.llama;

/**
 * Switches of the prefill paths (>= {@link LlamaModel#PREFILL_MIN} tokens) for in-process A/B runs
 * ({@code bench/PrefillProfile}); each path gives the same bits as the one it replaced (PrefillPathsTest).
 * Defaults from system properties, so a separate JVM can be started either way.
 */
public final class PrefillChoice {
    private PrefillChoice() {}

    /**
     * Softmax's and SiLU's {@code (float) Math.exp} on vector lanes ({@link dev.actlab.tensor.MathExpLanes}), else one
     * element at a time. Off by default: on the idle machine a process that had run it in its prefill decoded ~25-30%
     * slower afterwards (110M Q8_0, `actlab bench --prompt-tokens 16 --gen-tokens 64`, alternating processes: medians
     * 58-79 against 80-95 tok/s, and 64/88 against 89/108 over 4-round runs; cause not found), for a prefill gain of
     * ~5%. Property actlab.prefillLanesExp=true turns it on.
     */
    public static volatile boolean lanesExp = Boolean.getBoolean("actlab.prefillLanesExp");

    /**
     * A layer's q, k, v matmuls and its gate, up matmuls as one {@link dev.actlab.tensor.TiledGroup} each (x packed once,
     * one parallel region), else one matmul at a time. Off: not measured faster on the loaded machine (110M F32 x0.99-1.07,
     * F16 x0.76-1.09 over five A/B runs, docs/engine-speed-log.md, "Prefill, fourth pass"). Property actlab.prefillGroupedMatmuls=true turns it on.
     */
    public static volatile boolean groupedMatmuls = Boolean.getBoolean("actlab.prefillGroupedMatmuls");
}
