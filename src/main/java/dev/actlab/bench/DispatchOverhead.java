package dev.actlab.bench;

import dev.actlab.tensor.Parallel;

/** What one {@link Parallel#forRange} costs with an empty body: the fixed price of each parallel matmul. */
public final class DispatchOverhead {
    private DispatchOverhead() {}

    /** Mean microseconds per call over {@code calls} calls that each hand every thread one chunk. */
    public static double microsPerCall(Parallel par, int calls) {
        int n = par.threads() * 16;
        int[] sink = new int[n];
        for (int i = 0; i < calls / 10; i++) par.forRange(n, 16, (from, to) -> sink[from]++);   // warm-up
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) par.forRange(n, 16, (from, to) -> sink[from]++);
        return (System.nanoTime() - t0) / 1e3 / calls;
    }
}
