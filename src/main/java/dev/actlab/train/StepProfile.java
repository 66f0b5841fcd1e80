package dev.actlab.train;

import dev.actlab.model.llama.LlamaConfig;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.EnumMap;
import java.util.Map;

/**
 * Where a training step's time goes: the thread that owns the profile charges its CPU time to
 * the phase it last entered. Only that thread's CPU time is counted (work other threads do is
 * not), so the shares describe a step run with one thread; entries from other threads are
 * ignored. Entering a phase costs one thread-CPU-clock read (well under a microsecond), a few
 * thousand times a step.
 */
public final class StepProfile {
    /** A step's phases, in the order a step reaches them. */
    public enum Phase {
        CLEAR("clearing gradients and buffers"),
        EMBEDDING("embedding lookup and its gradient"),
        NORM("RMSNorm forward (with the residual add before it) and backward"),
        MATMUL_FORWARD("linear layers forward (x W^T, unembedding)"),
        ROPE("rotary embedding"),
        ATTENTION_GEMM("attention products (Q K^T, P V, and the 4 of backward)"),
        ATTENTION_SOFTMAX("attention softmax, forward and backward"),
        SWIGLU("SwiGLU forward and backward"),
        RESIDUAL("residual adds"),
        CROSS_ENTROPY("cross-entropy over the vocabulary"),
        MATMUL_DX("linear layers backward: dx = dy W"),
        MATMUL_DW("linear layers backward: dW = dy^T x"),
        CLIPPING("gradient norm and clipping"),
        ADAMW("AdamW update"),
        OTHER("anything else");

        public final String description;

        Phase(String description) { this.description = description; }
    }

    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    private final Thread owner = Thread.currentThread();
    private final long[] nanos = new long[Phase.values().length];
    private Phase current;              // null: stopped, nothing is charged
    private long since;

    /** Charges the time since the last entry to the phase then current (if any), and makes p current. */
    public void enter(Phase p) {
        if (Thread.currentThread() != owner) return;
        long now = MX.getCurrentThreadCpuTime();
        if (current != null) nanos[current.ordinal()] += now - since;
        current = p;
        since = now;
    }

    /** Charges the current phase and stops counting until the next {@link #enter}. */
    public void stop() {
        enter(Phase.OTHER);
        current = null;
    }

    /** CPU nanoseconds charged to each phase so far (the current phase up to its last entry). */
    public Map<Phase, Long> nanos() {
        Map<Phase, Long> m = new EnumMap<>(Phase.class);
        for (Phase p : Phase.values()) m.put(p, nanos[p.ordinal()]);
        return m;
    }

    /**
     * The floating-point operations of one training step in the phases that do matrix products,
     * counted as TrainModel.forwardFlopsPerToken counts them (2 per multiply-add; causal attention
     * over T/2 positions on average): each linear layer's forward, dx and dW product is 2 N x its
     * weights; attention is 2 products forward and 4 backward. Their sum is 3 x the forward flops.
     */
    public static Map<Phase, Double> flops(TrainModel m, int batch, int ctx) {
        LlamaConfig c = m.config();
        double n = (double) batch * ctx;
        double attention = c.layers() * 2.0 * (ctx + 1) * c.qDim() * n;   // forward: 2 products of (T + 1)/2 x hs per query and head
        double linear = (m.forwardFlopsPerToken(ctx) * n - attention);
        Map<Phase, Double> f = new EnumMap<>(Phase.class);
        f.put(Phase.MATMUL_FORWARD, linear);
        f.put(Phase.MATMUL_DX, linear);
        f.put(Phase.MATMUL_DW, linear);
        f.put(Phase.ATTENTION_GEMM, 3 * attention);
        return f;
    }
}
