package dev.actlab.tensor;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures the float32 fused multiply-add peak of one core as the Vector API reaches it: twelve
 * independent FMA chains on preferred-width vectors (enough to cover the FMA latency on both
 * ports), timed in the thread's CPU time so that a shared machine does not count its waiting.
 * The peak of the machine is this times the cores used.
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private FmaPeak() {}

    /** FLOP (2 per lane per FMA) per CPU-second of one thread, best of a few rounds. */
    public static double perCoreFlops() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double best = 0;
        float[] sink = new float[S.length()];
        for (int round = 0; round < 6; round++) {
            long iters = 4_000_000;
            long t0 = mx.getCurrentThreadCpuTime();
            FloatVector r = chains(iters);
            long t1 = mx.getCurrentThreadCpuTime();
            r.intoArray(sink, 0);
            if (round >= 2 && t1 > t0) best = Math.max(best, 12.0 * 2 * S.length() * iters / ((t1 - t0) / 1e9));
        }
        if (Float.isNaN(sink[0])) throw new IllegalStateException("unreachable");   // keeps the result alive
        return best;
    }

    private static FloatVector chains(long iters) {
        FloatVector m = FloatVector.broadcast(S, 0.999999f), a = FloatVector.broadcast(S, 1e-7f);
        FloatVector x0 = FloatVector.broadcast(S, 1f), x1 = x0.add(1), x2 = x0.add(2), x3 = x0.add(3), x4 = x0.add(4), x5 = x0.add(5);
        FloatVector x6 = x0.add(6), x7 = x0.add(7), x8 = x0.add(8), x9 = x0.add(9), x10 = x0.add(10), x11 = x0.add(11);
        for (long i = 0; i < iters; i++) {
            x0 = x0.fma(m, a); x1 = x1.fma(m, a); x2 = x2.fma(m, a); x3 = x3.fma(m, a);
            x4 = x4.fma(m, a); x5 = x5.fma(m, a); x6 = x6.fma(m, a); x7 = x7.fma(m, a);
            x8 = x8.fma(m, a); x9 = x9.fma(m, a); x10 = x10.fma(m, a); x11 = x11.fma(m, a);
        }
        return x0.add(x1).add(x2).add(x3).add(x4).add(x5).add(x6).add(x7).add(x8).add(x9).add(x10).add(x11);
    }
}
