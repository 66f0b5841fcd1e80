package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures the machine's float32 FMA peak: every thread runs independent chains of vector FMAs
 * (enough of them to hide the FMA latency) for a fixed time, measured in thread CPU time so a busy
 * machine does not lower the figure. Benchmarks report their GFLOP/s as a fraction of this number.
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static volatile float sink;

    private FmaPeak() {}

    /** GFLOP/s (2 flops per FMA lane) of threads threads running FMAs for about millis ms. */
    public static double measure(int threads, int millis) throws InterruptedException {
        long[] flops = new long[threads];
        long[] nanos = new long[threads];
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts[t] = new Thread(() -> {
                // warm up: the Vector API is only fast once C2 has compiled the loop (on-stack replacement
                // inside long calls; interpreted and C1 code box every vector)
                for (int i = 0; i < 4; i++) loop(1_000_000);
                // CPU time, not wall time: on a shared machine the probe must not count time it was descheduled
                var mx = java.lang.management.ManagementFactory.getThreadMXBean();
                long cpu0 = mx.getCurrentThreadCpuTime(), deadline = System.nanoTime() + millis * 1_000_000L;
                long iters = 0;
                while (System.nanoTime() < deadline) { loop(200_000); iters += 200_000; }
                nanos[id] = Math.max(1, mx.getCurrentThreadCpuTime() - cpu0);
                flops[id] = iters * 12L * S.length() * 2;
            });
            ts[t].start();
        }
        double total = 0;
        for (int t = 0; t < threads; t++) { ts[t].join(); total += flops[t] / (double) nanos[t]; }
        return total;
    }

    /** 12 independent FMA chains per iteration. */
    private static void loop(int iters) {
        FloatVector m = FloatVector.broadcast(S, 0.999999f), a = FloatVector.broadcast(S, 1e-7f);
        FloatVector x0 = FloatVector.broadcast(S, 1f), x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0,
                x6 = x0, x7 = x0, x8 = x0, x9 = x0, x10 = x0, x11 = x0;
        for (int i = 0; i < iters; i++) {
            x0 = x0.fma(m, a); x1 = x1.fma(m, a); x2 = x2.fma(m, a); x3 = x3.fma(m, a);
            x4 = x4.fma(m, a); x5 = x5.fma(m, a); x6 = x6.fma(m, a); x7 = x7.fma(m, a);
            x8 = x8.fma(m, a); x9 = x9.fma(m, a); x10 = x10.fma(m, a); x11 = x11.fma(m, a);
        }
        sink = x0.add(x1).add(x2).add(x3).add(x4).add(x5).add(x6).add(x7).add(x8).add(x9).add(x10).add(x11).lane(0);
    }
}
