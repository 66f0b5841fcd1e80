package dev.actlab.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * A fixed number of worker threads that split an index range [0, n) into contiguous chunks.
 * Each index is computed by exactly one thread in a fixed order, so results are bit-identical
 * whatever the thread count.
 */
public final class Parallel implements AutoCloseable {
    @FunctionalInterface
    public interface RangeBody { void run(int from, int to); }

    private static volatile Parallel shared;
    private final int threads;
    private final ForkJoinPool pool;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    /** The process-wide pool, sized to the available processors unless {@link #setDefaultThreads} was called. */
    public static Parallel shared() {
        Parallel p = shared;
        if (p == null) {
            synchronized (Parallel.class) {
                if (shared == null) shared = new Parallel(Runtime.getRuntime().availableProcessors());
                p = shared;
            }
        }
        return p;
    }

    public static synchronized void setDefaultThreads(int threads) {
        if (shared != null && shared.threads == threads) return;
        Parallel old = shared;
        shared = new Parallel(threads);
        if (old != null) old.close();
    }

    public int threads() { return threads; }

    /** Runs body over [0, n) split into chunks of at least minChunk indices. */
    public void forRange(int n, int minChunk, RangeBody body) {
        if (n <= 0) return;
        int chunks = Math.min(threads * 4, Math.max(1, n / Math.max(1, minChunk)));
        if (pool == null || chunks == 1) { body.run(0, n); return; }
        pool.invoke(new Split(body, n, chunks, 0, chunks));
    }

    private static final class Split extends RecursiveAction {
        final RangeBody body; final int n, chunks, lo, hi;
        Split(RangeBody body, int n, int chunks, int lo, int hi) {
            this.body = body; this.n = n; this.chunks = chunks; this.lo = lo; this.hi = hi;
        }
        @Override protected void compute() {
            if (hi - lo == 1) {
                int from = (int) ((long) n * lo / chunks), to = (int) ((long) n * hi / chunks);
                body.run(from, to);
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Split(body, n, chunks, lo, mid), new Split(body, n, chunks, mid, hi));
        }
    }

    @Override public void close() { if (pool != null) pool.shutdown(); }
}
