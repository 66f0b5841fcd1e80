package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * How a column GEMV (an input-major copy that reads only the columns of the kept inputs) splits its
 * work over threads. Short runs are what make skipping slow: with Parallel's usual split (up to 16
 * chunks, 48-128 rows each) a 3 KiB column was read as 256-byte pieces, each the start of a new stream
 * for the hardware prefetcher, and the F32 column kernel ran at 0.6x of the same loop over whole
 * columns (`ColumnKernelBench`, [768, 2048] at 50%: 0.83x of dense before, 1.41x after).
 *
 * <p>Splitting rows, even one chunk per thread, still halves every run at two threads (a 768-row F32
 * column read as two 1.5 KiB runs, a Q8_0 one as two 384-byte runs). So the kept inputs are split
 * instead: {@link #groups} column groups (equal parts of the kept inputs), each summed over all rows
 * into its own output vector, the vectors then added in group order. The groups depend only on the
 * number of kept inputs, never on the thread count, so the bits are the same at any thread count;
 * threads beyond the groups split rows within a group, and a small product runs its groups on the
 * calling thread (neither changes a bit).
 */
final class ColumnChunks {
    private ColumnChunks() {}

    /** Multiply-adds below which a GEMV stays on one thread (a hand-off costs more than it saves). */
    static final long MIN_PARALLEL_WORK = 1 << 16;
    /**
     * Column groups: one per core of the two-core machine this is tuned on. Four measured the same end to end
     * (110M Q8_0, 2 threads, 50%: 0.98x and 0.97x against 1.03x for two; noisy). Benchmarks may set it
     * (-Dactlab.columnGroups); the scalar references follow it.
     */
    static volatile int GROUPS = Math.max(1, Integer.getInteger("actlab.columnGroups", 2));   // -D: benchmarks only
    /** Benchmarks only (`ColumnKernelBench`): false splits rows alone, the kernels' previous split. */
    static volatile boolean byColumns = true;

    /** Benchmarks only (`SparseDecodeAB`): count the tasks of {@link #run} by the thread that ran them. */
    static volatile boolean countTasks = Boolean.getBoolean("actlab.countColumnTasks");
    static final java.util.concurrent.atomic.LongAdder TASKS_ON_CALLER = new java.util.concurrent.atomic.LongAdder(),
            TASKS_ON_WORKERS = new java.util.concurrent.atomic.LongAdder();
    /** Benchmarks only: per shape, {calls a worker helped with, calls the caller ran alone} (the decoding thread's calls only). */
    static final java.util.Map<String, long[]> CALLS_WITHOUT_WORKER = new java.util.concurrent.ConcurrentSkipListMap<>();

    /** One kernel's work: rows [from, to) of the product over the kept inputs idx[lo .. hi), into dst[dOff + r]. */
    @FunctionalInterface
    interface Part { void run(int lo, int hi, int from, int to, float[] dst, int dOff); }

    /** Rows per chunk for rows outputs, nnz kept inputs and the given thread count: a multiple of block. */
    static int size(int rows, int nnz, int threads, int block) {
        long work = (long) rows * Math.max(1, nnz);
        int parts = work < MIN_PARALLEL_WORK ? 1 : Math.max(1, threads);
        int run = (rows + parts - 1) / parts;
        return Math.max(block, (run + block - 1) / block * block);
    }

    /**
     * Column groups for nnz kept inputs: {@link #GROUPS} (1 below that many inputs). It does not depend on
     * the rows either, so a row's bits are the same whichever rows are computed with it (matrices stacked
     * by rows, `sparsity/StackedColumns`).
     */
    static int groups(int nnz) {
        int groups = GROUPS;
        return !byColumns || nnz < groups ? 1 : groups;
    }

    /** The first kept input (position in idx) of group g of groups, over nnz kept inputs. */
    static int groupStart(int g, int groups, int nnz) { return (int) ((long) nnz * g / groups); }

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * out[oOff + r] for r < rows = the sum, in group order, of each column group's product over all rows:
     * group 0 straight into out, the others into a scratch vector of the calling thread, added after.
     * Groups run as parallel tasks; with more threads than groups, each group's rows are split too.
     */
    static void run(int rows, int nnz, int block, float[] out, int oOff, Parallel par, Part body) {
        int groups = groups(nnz);
        int rowChunk = size(rows, nnz, Math.max(1, par.threads() / groups), block);
        int rowParts = (rows + rowChunk - 1) / rowChunk;
        float[] rest = null;
        if (groups > 1) {
            rest = SCRATCH.get();
            if (rest.length < (groups - 1) * rows) SCRATCH.set(rest = new float[(groups - 1) * rows]);
        }
        float[] others = rest;
        Parallel.RangeBody tasks = (a, b) -> {
            for (int p = a; p < b; p++) {
                int g = p / rowParts, k = p % rowParts, from = k * rowChunk, to = Math.min(rows, from + rowChunk);
                body.run(groupStart(g, groups, nnz), groupStart(g + 1, groups, nnz), from, to,
                        g == 0 ? out : others, g == 0 ? oOff : (g - 1) * rows);
            }
        };
        if ((long) rows * nnz < MIN_PARALLEL_WORK) tasks.run(0, groups * rowParts);   // rowParts is 1 here
        else par.forRange(groups * rowParts, 1, tasks);
        for (int g = 1; g < groups; g++)
            for (int r = 0, o = (g - 1) * rows; r < rows; r++) out[oOff + r] += others[o + r];
    }

    /**
     * Chains per column group for nnz kept inputs when a kernel reads streams columns at once, each from
     * its own part of the group's kept inputs (far apart in memory, like the dense kernel's four rows a
     * quarter of the range apart): streams if every chain gets at least one input, else 1. Depends on nnz
     * only (never on rows or threads), so the bits are the same at any thread count and in a stacked copy.
     */
    static int chainsPerGroup(int nnz, int streams) {
        int groups = groups(nnz);
        return streams > 1 && nnz >= groups * streams ? streams : 1;
    }

    /**
     * One product's split into chains: chain c (of groups x perGroup) sums the kept inputs
     * idx[start(c) .. start(c + 1)) over all rows into dst(c) at dOff(c); group g owns chains
     * [g * perGroup, (g + 1) * perGroup). Chain 0 writes into out, the others into a scratch vector each.
     */
    static final class Plan {
        final int rows, nnz, groups, perGroup, chains, oOff;
        final float[] out, scratch;

        private Plan(int rows, int nnz, int groups, int perGroup, float[] out, int oOff, float[] scratch) {
            this.rows = rows; this.nnz = nnz; this.groups = groups; this.perGroup = perGroup; this.chains = groups * perGroup;
            this.out = out; this.oOff = oOff; this.scratch = scratch;
        }

        int start(int c) { return groupStart(c, chains, nnz); }
        float[] dst(int c) { return c == 0 ? out : scratch; }
        int dOff(int c) { return c == 0 ? oOff : (c - 1) * rows; }
    }

    /** A kernel that reads several chains at once: rows [from, to) of chains [c0, c1) of plan p, each into its own dst. */
    @FunctionalInterface
    interface StreamPart { void run(Plan p, int c0, int c1, int from, int to); }

    /**
     * As {@link #run(int, int, int, float[], int, Parallel, Part)}, with perGroup = {@link #chainsPerGroup} chains in
     * each column group, handed to body together: a group's chains are added into its first in chain order
     * (rows [from, to), by the task that computed them), then the groups' sums into out in group order.
     */
    static void run(int rows, int nnz, int streams, int block, float[] out, int oOff, Parallel par, StreamPart body) {
        int groups = groups(nnz), perGroup = chainsPerGroup(nnz, streams), chains = groups * perGroup;
        int rowChunk = size(rows, nnz, Math.max(1, par.threads() / groups), block);
        int rowParts = (rows + rowChunk - 1) / rowChunk;
        float[] scratch = null;
        if (chains > 1) {
            scratch = SCRATCH.get();
            if (scratch.length < (chains - 1) * rows) SCRATCH.set(scratch = new float[(chains - 1) * rows]);
        }
        Plan plan = new Plan(rows, nnz, groups, perGroup, out, oOff, scratch);
        Thread caller = Thread.currentThread();
        boolean count = countTasks;
        java.util.concurrent.atomic.AtomicBoolean helped = count ? new java.util.concurrent.atomic.AtomicBoolean() : null;
        Parallel.RangeBody tasks = (a, b) -> {
            if (count) {
                boolean onCaller = Thread.currentThread() == caller;
                (onCaller ? TASKS_ON_CALLER : TASKS_ON_WORKERS).add(b - a);
                if (!onCaller) helped.set(true);
            }
            for (int p = a; p < b; p++) {
                int g = p / rowParts, k = p % rowParts, from = k * rowChunk, to = Math.min(rows, from + rowChunk);
                int c0 = g * perGroup;
                body.run(plan, c0, c0 + perGroup, from, to);
                float[] first = plan.dst(c0);
                int f = plan.dOff(c0);
                for (int c = c0 + 1; c < c0 + perGroup; c++) addInto(first, f + from, plan.dst(c), plan.dOff(c) + from, to - from);
            }
        };
        if ((long) rows * nnz < MIN_PARALLEL_WORK) tasks.run(0, groups * rowParts);
        else par.forRange(groups * rowParts, 1, tasks);
        if (count && (long) rows * nnz >= MIN_PARALLEL_WORK && par.threads() > 1)
            CALLS_WITHOUT_WORKER.computeIfAbsent(rows + " rows, " + (nnz / 128 * 128) + "+ kept", k -> new long[2])[helped.get() ? 0 : 1]++;
        for (int g = 1; g < groups; g++) addInto(out, oOff, plan.dst(g * perGroup), plan.dOff(g * perGroup), rows);
    }

    /**
     * The scalar references' order for {@link #run(int, int, int, int, float[], int, Parallel, StreamPart)}: per
     * group its chains added in order, then out[oOff + r] = group 0's sum plus each later group's, in group order.
     */
    static void scalar(int rows, int nnz, int streams, float[] out, int oOff, ScalarRow row) {
        int groups = groups(nnz), perGroup = chainsPerGroup(nnz, streams), chains = groups * perGroup;
        for (int r = 0; r < rows; r++) {
            float y = 0;
            for (int g = 0; g < groups; g++) {
                float s = row.run(groupStart(g * perGroup, chains, nnz), groupStart(g * perGroup + 1, chains, nnz), r);
                for (int c = g * perGroup + 1; c < (g + 1) * perGroup; c++) s += row.run(groupStart(c, chains, nnz), groupStart(c + 1, chains, nnz), r);
                y = g == 0 ? s : y + s;
            }
            out[oOff + r] = y;
        }
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** a[aOff + i] += b[bOff + i] for i < n: element by element, the bits of the scalar add. */
    private static void addInto(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        for (int end = S.loopBound(n); i < end; i += S.length())
            FloatVector.fromArray(S, a, aOff + i).add(FloatVector.fromArray(S, b, bOff + i)).intoArray(a, aOff + i);
        for (; i < n; i++) a[aOff + i] += b[bOff + i];
    }

    /** One row of a scalar reference: row r over the kept inputs idx[lo .. hi), one chain from zero. */
    @FunctionalInterface
    interface ScalarRow { float run(int lo, int hi, int r); }

    /** The scalar references' order: out[oOff + r] = group 0's row plus each later group's, in group order. */
    static void scalar(int rows, int nnz, float[] out, int oOff, ScalarRow row) {
        int groups = groups(nnz);
        for (int r = 0; r < rows; r++) {
            float y = row.run(0, groupStart(1, groups, nnz), r);
            for (int g = 1; g < groups; g++) y += row.run(groupStart(g, groups, nnz), groupStart(g + 1, groups, nnz), r);
            out[oOff + r] = y;
        }
    }
}
