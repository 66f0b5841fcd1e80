package dev.actlab.sae;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a training step's time goes, phase by phase, summed over the steps of a run, and each
 * step's total. On one thread the clock is the thread's CPU time (every phase runs on the calling
 * thread, and on a shared machine CPU time does not count the time the thread waited for a core,
 * as the FMA peak benchmark measures); on more threads it is wall time.
 */
public final class StepTimes {
    /** The phases of a step, in order. */
    public enum Phase {
        CENTER("x - b_dec"), ENCODE("encoder GEMM + b_enc"), SELECT("activation (top-k)"), DECODE("sparse decode + error"),
        AUXK("AuxK"), GROUP("entries grouped by latent"), WEIGHT_GRAD("dL/dpre, sparse W_enc, W_dec, b_enc gradients"),
        INPUT_GRAD("b_dec gradient"), DECODER_NORM("decoder-norm projection + renormalisation"), ADAM("Adam (fused, zeroes the gradients)"), OTHER("rest of the step");

        public final String what;

        Phase(String what) { this.what = what; }
    }

    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    private final boolean cpu;
    private final long[] nanos = new long[Phase.values().length];
    private final List<Long> stepNanos = new ArrayList<>();
    private long last, stepStart;

    StepTimes(boolean threadCpuTime) { cpu = threadCpuTime && MX.isCurrentThreadCpuTimeSupported(); }

    /** Whether the clock is the calling thread's CPU time (else wall time). */
    public boolean cpuTime() { return cpu; }

    private long now() { return cpu ? MX.getCurrentThreadCpuTime() : System.nanoTime(); }

    void startStep() { last = stepStart = now(); }

    /** Charges the time since the last lap (or the step's start) to phase p. */
    void lap(Phase p) {
        long t = now();
        nanos[p.ordinal()] += t - last;
        last = t;
    }

    void endStep() {
        lap(Phase.OTHER);
        stepNanos.add(last - stepStart);
    }

    /** Seconds per phase over all steps, in phase order. */
    public Map<Phase, Double> seconds() {
        Map<Phase, Double> m = new LinkedHashMap<>();
        for (Phase p : Phase.values()) m.put(p, nanos[p.ordinal()] / 1e9);
        return m;
    }

    /** Each step's seconds, in order. */
    public double[] stepSeconds() {
        double[] s = new double[stepNanos.size()];
        for (int i = 0; i < s.length; i++) s[i] = stepNanos.get(i) / 1e9;
        return s;
    }
}
