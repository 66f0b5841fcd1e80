package dev.actlab.sparsity;

import java.util.concurrent.atomic.AtomicLong;

/** Inputs seen and inputs skipped (below the threshold) at one site: the measured sparsity. */
public final class SkipCounter {
    private final AtomicLong seen = new AtomicLong(), skipped = new AtomicLong();

    void add(long seenInputs, long skippedInputs) { seen.addAndGet(seenInputs); skipped.addAndGet(skippedInputs); }

    public long seen() { return seen.get(); }
    public long skipped() { return skipped.get(); }

    /** Fraction of inputs skipped so far; NaN before the first. */
    public double sparsity() { long s = seen.get(); return s == 0 ? Double.NaN : (double) skipped.get() / s; }

    public void reset() { seen.set(0); skipped.set(0); }
}
