package dev.actlab.bench;

import dev.actlab.tensor.FmaProbe;

/**
 * Measures the machine's float32 FMA peak: every thread runs independent chains of vector FMAs
 * (enough of them to hide the FMA latency) for a fixed time, measured in thread CPU time so a busy
 * machine does not lower the figure. Benchmarks report their GFLOP/s as a fraction of this number.
 */
public final class FmaPeak {
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
                for (int i = 0; i < 4; i++) sink = FmaProbe.run(1_000_000);
                // CPU time, not wall time: on a shared machine the probe must not count time it was descheduled
                var mx = java.lang.management.ManagementFactory.getThreadMXBean();
                long cpu0 = mx.getCurrentThreadCpuTime(), deadline = System.nanoTime() + millis * 1_000_000L;
                long iters = 0;
                while (System.nanoTime() < deadline) { sink = FmaProbe.run(200_000); iters += 200_000; }
                nanos[id] = Math.max(1, mx.getCurrentThreadCpuTime() - cpu0);
                flops[id] = iters * FmaProbe.FLOPS_PER_ITERATION;
            });
            ts[t].start();
        }
        double total = 0;
        for (int t = 0; t < threads; t++) { ts[t].join(); total += flops[t] / (double) nanos[t]; }
        return total;
    }
}
