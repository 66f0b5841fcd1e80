package dev.actlab.tensor;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed number of threads that split an index range [0, n) into contiguous chunks. Chunk
 * boundaries depend only on n and minChunk (never on the thread count or on timing), and each
 * index is computed by exactly one thread, so results are bit-identical whatever the thread count.
 *
 * <p>Why not a ForkJoinPool: decode calls this ~100 times per token and a ForkJoinPool invoke
 * costs tens of microseconds. Here the caller publishes a job through one volatile field; the
 * persistent workers spin briefly on it (so back-to-back matmuls start within a microsecond),
 * then park. The caller works on chunks too and waits only for the last chunk.
 */
public final class Parallel implements AutoCloseable {
    @FunctionalInterface
    public interface RangeBody { void run(int from, int to); }

    /** Upper bound on chunks per call: enough to balance a few threads, few enough to stay cheap. */
    static final int MAX_CHUNKS = 16;
    private static final long SPIN_NANOS = 50_000;   // how long an idle worker spins before parking
    private static final long LONG_SPIN_NANOS = 2_000_000;   // the same with KernelChoice.longWorkerSpin

    private static volatile Parallel shared;
    private final int threads;
    private final Worker[] workers;                    // threads - 1 of them: the caller is the last
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile Job job;
    private volatile boolean closed;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
            Thread t = Thread.ofPlatform().daemon().name("actlab-parallel-" + i).unstarted(workers[i]);
            workers[i].thread = t;
            t.start();
        }
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

    /** Indices per chunk for a range of n: a multiple of minChunk, at most MAX_CHUNKS chunks. */
    static int chunkSize(int n, int minChunk) {
        int grain = Math.max(1, minChunk);
        int size = (int) (((long) n + MAX_CHUNKS - 1) / MAX_CHUNKS);
        return (int) Math.min(n, ((long) size + grain - 1) / grain * grain);
    }

    /**
     * Runs body over [0, n) split into chunks of chunkSize(n, minChunk) indices (the last may be
     * shorter). A nested or concurrent call runs on the calling thread alone, with the same chunks.
     */
    public void forRange(int n, int minChunk, RangeBody body) {
        if (n <= 0) return;
        int size = chunkSize(n, minChunk);
        int chunks = (n + size - 1) / size;
        if (workers.length == 0 || chunks == 1 || closed || !busy.compareAndSet(false, true)) {
            for (int c = 0; c < chunks; c++) body.run(c * size, Math.min(n, c * size + size));
            return;
        }
        try {
            Job j = new Job(body, n, size, chunks);
            job = j;
            for (Worker w : workers) if (w.parked) LockSupport.unpark(w.thread);
            j.work();
            int spins = 0;
            while (j.done.get() < chunks) {
                if (++spins < 64) Thread.onSpinWait();
                else Thread.yield();   // a worker was descheduled (shared machine): give it the core
            }
            Throwable e = j.error;
            if (e instanceof RuntimeException re) throw re;
            if (e instanceof Error er) throw er;
        } finally {
            busy.set(false);
        }
    }

    /** One forRange call: chunks are claimed in any order, each boundary fixed by (n, size). */
    private static final class Job {
        final RangeBody body;
        final int n, size, chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable error;

        Job(RangeBody body, int n, int size, int chunks) { this.body = body; this.n = n; this.size = size; this.chunks = chunks; }

        /** Claims and runs chunks until none is left; counts them done once, to keep the shared counter quiet. */
        void work() {
            int c, count = 0;
            try {
                while ((c = next.getAndIncrement()) < chunks) {
                    count++;
                    try {
                        if (error == null) body.run(c * size, Math.min(n, c * size + size));
                    } catch (Throwable t) {
                        if (error == null) error = t;
                    }
                }
            } finally {
                if (count > 0) done.addAndGet(count);
            }
        }
    }

    private final class Worker implements Runnable {
        Thread thread;
        volatile boolean parked;

        @Override public void run() {
            Job seen = null;
            while (!closed) {
                Job j = job;
                if (j != seen) { seen = j; j.work(); continue; }
                long start = System.nanoTime(), spin = KernelChoice.longWorkerSpin ? LONG_SPIN_NANOS : SPIN_NANOS;
                while (job == seen && !closed && System.nanoTime() - start < spin) Thread.onSpinWait();
                if (job != seen || closed) continue;
                parked = true;                          // then re-check: the caller either sees parked or we see its job
                if (job == seen && !closed) LockSupport.park(this);
                parked = false;
            }
        }
    }

    @Override public void close() {
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w.thread);
    }
}
