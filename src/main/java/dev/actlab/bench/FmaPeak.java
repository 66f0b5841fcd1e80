package dev.actlab.bench;

import dev.actlab.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The FP32 FMA throughput the JVM reaches: every thread runs a loop of 12 independent FMA
 * chains on registers (enough to cover the FMA latency on two ports), no memory traffic.
 * 2 flops per lane per FMA. The figure prefill GFLOP/s is compared against.
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static volatile float sink;

    private FmaPeak() {}

    /** Best of {@code passes} runs of {@code iterations} loop trips on each of par's threads, in GFLOP/s. */
    public static double measure(Parallel par, long iterations, int passes) {
        int threads = par.threads();
        float[] out = new float[threads];
        for (int i = 0; i < 50; i++) sink = chains(20_000, i);   // let the JIT compile the loop before it is timed
        double best = 0;
        for (int p = 0; p < passes; p++) {
            long t0 = System.nanoTime();
            par.forRange(threads, 1, (from, to) -> { for (int i = from; i < to; i++) out[i] = chains(iterations, i); });
            long t1 = System.nanoTime();
            sink = out[0];
            double flops = 2.0 * 12 * S.length() * iterations * threads;
            best = Math.max(best, flops / ((t1 - t0) / 1e9) / 1e9);
        }
        return best;
    }

    private static float chains(long iterations, int seed) {
        FloatVector m = FloatVector.broadcast(S, 0.999999f), k = FloatVector.broadcast(S, 1e-7f * (seed + 1));
        FloatVector a0 = k, a1 = k.add(1), a2 = k.add(2), a3 = k.add(3), a4 = k.add(4), a5 = k.add(5);
        FloatVector a6 = k.add(6), a7 = k.add(7), a8 = k.add(8), a9 = k.add(9), a10 = k.add(10), a11 = k.add(11);
        for (long i = 0; i < iterations; i++) {
            a0 = a0.fma(m, k); a1 = a1.fma(m, k); a2 = a2.fma(m, k); a3 = a3.fma(m, k);
            a4 = a4.fma(m, k); a5 = a5.fma(m, k); a6 = a6.fma(m, k); a7 = a7.fma(m, k);
            a8 = a8.fma(m, k); a9 = a9.fma(m, k); a10 = a10.fma(m, k); a11 = a11.fma(m, k);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).lane(0);
    }
}
