package dev.actlab.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Decode GEMV with a sparse input: the dense kernel (F32Matrix / Q8_0Matrix, off-heap like a mapped
 * file) against the column-skipping kernel (InputMajorF32 / InputMajorQ8) on the same input zeroed to
 * the given sparsity (random positions, threshold on |x|). Enough copies of the matrix are cycled so the
 * weights come from memory, not the 32 MiB L3. Rounds alternate the two; reports best/median ms per
 * sweep (of this thread's CPU time at one thread, else wall time), GB/s of the bytes each actually reads, the time ratio
 * and the traffic limit; the sparse kernel also with the previous split (rows only, {@link ColumnChunks#byColumns} off).
 * Not a test. -Dbench.threads=T (default 1):
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.tensor.ColumnKernelBench F32|Q8_0 ROWS COLS SPARSITY [ROUNDS [COPIES]]
 */
public final class ColumnKernelBench {
    public static void main(String[] args) {
        String type = args[0];
        int rows = Integer.parseInt(args[1]), cols = Integer.parseInt(args[2]);
        double sparsity = Double.parseDouble(args[3]);
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 21;
        boolean q8 = type.equals("Q8_0");
        SplittableRandom r = new SplittableRandom(11);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        long denseBytesOne = q8 ? (long) rows * cols / 32 * 34 : (long) rows * cols * 4;
        int copies = args.length > 5 ? Integer.parseInt(args[5]) : (int) Math.max(2, (160L << 20) / denseBytesOne);
        WeightMatrix[] dense = new WeightMatrix[copies];
        Object[] sparse = new Object[copies];
        Arena arena = Arena.ofAuto();
        MemorySegment first = arena.allocate(denseBytesOne, 64);
        if (q8) for (int row = 0; row < rows; row++) Q8_0Matrix.quantize(w, row * cols, cols, first, (long) row * cols / 32 * 34);
        else MemorySegment.copy(MemorySegment.ofArray(w), 0, first, 0, denseBytesOne);
        WeightMatrix m0 = q8 ? WeightMatrices.of(DType.Q8_0, first, rows, cols) : new F32Matrix(first, rows, cols);
        Object s0 = q8 ? InputMajorQ8.of(m0) : InputMajorF32.of(m0);
        for (int k = 0; k < copies; k++) {
            MemorySegment seg = k == 0 ? first : arena.allocate(denseBytesOne, 64);
            if (k > 0) MemorySegment.copy(first, 0, seg, 0, denseBytesOne);
            dense[k] = q8 ? WeightMatrices.of(DType.Q8_0, seg, rows, cols) : new F32Matrix(seg, rows, cols);
            sparse[k] = k == 0 ? s0 : q8 ? InputMajorQ8.of(dense[k]) : InputMajorF32.of(dense[k]);
        }
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
        float[] mags = new float[cols];
        for (int i = 0; i < cols; i++) mags[i] = Math.abs(x[i]);
        Arrays.sort(mags);
        float threshold = mags[(int) Math.min(cols - 1, Math.round(sparsity * cols))];
        int[] idx = new int[cols];
        int nnz = 0;
        int run = Integer.getInteger("bench.run", 0);   // diagnosis: keep runs of this many adjacent inputs instead of random ones
        for (int i = 0; i < cols; i++) {
            boolean skip = run > 0 ? (i / run) % 10 >= Math.round(10 * (1 - sparsity)) : Math.abs(x[i]) < threshold;
            if (skip) x[i] = 0; else idx[nnz++] = i;
        }
        int blocksTouched = 0;
        for (int b = 0; b < cols / 32; b++) for (int i = 0; i < 32; i++) if (x[b * 32 + i] != 0) { blocksTouched++; break; }
        // F32: a kept column's pages (its padding included: the memory system fetches them whole)
        long sparseBytesOne = q8 ? (long) nnz * rows + (long) blocksTouched * rows * 2 : (long) nnz * (((InputMajorF32) s0).byteSize() / cols);
        float[] y = new float[rows];
        final int n = nnz;
        int threads = Integer.getInteger("bench.threads", 1);
        Parallel par = new Parallel(threads);
        Runnable denseSweep = () -> { for (WeightMatrix m : dense) m.matmul(x, 1, y, par); };
        Runnable sparseSweep = q8
                ? () -> { for (Object s : sparse) ((InputMajorQ8) s).gemv(x, 0, idx, n, y, 0, par); }
                : () -> { for (Object s : sparse) ((InputMajorF32) s).gemv(x, 0, idx, n, y, 0, par); };
        // for comparison in the same process: -Dbench.alt=rows (default) the previous split (rows only); =kernel Q8_0 with
        // InputMajorQ8.registerColumns set to bench.columns (default 0: every block in passes of four)
        // =streams F32 with InputMajorF32.streams set to bench.streams (default 1: four adjacent kept columns of one chain a pass)
        String alt = System.getProperty("bench.alt", "rows");
        boolean altKernel = alt.equals("kernel"), altStreams = alt.equals("streams");
        int altColumns = Integer.getInteger("bench.columns", 0), defaultColumns = InputMajorQ8.registerColumns;
        int altStreamCount = Integer.getInteger("bench.streams", 1), defaultStreams = InputMajorF32.streams;
        Runnable rowsSweep = altKernel
                ? () -> { InputMajorQ8.registerColumns = altColumns; sparseSweep.run(); InputMajorQ8.registerColumns = defaultColumns; }
                : alt.startsWith("q8pass") ? () -> { int keep = InputMajorQ8.passColumns; InputMajorQ8.passColumns = Integer.parseInt(alt.substring(6)); sparseSweep.run(); InputMajorQ8.passColumns = keep; }
                : alt.startsWith("pass") ? () -> { int keep = InputMajorF32.passColumns; InputMajorF32.passColumns = Integer.parseInt(alt.substring(4)); sparseSweep.run(); InputMajorF32.passColumns = keep; }
                : altStreams ? () -> { InputMajorF32.streams = altStreamCount; sparseSweep.run(); InputMajorF32.streams = defaultStreams; }
                : () -> { ColumnChunks.byColumns = false; sparseSweep.run(); ColumnChunks.byColumns = true; };
        Runnable[] sweeps = {denseSweep, sparseSweep, rowsSweep};
        for (int i = 0; i < 3; i++) for (Runnable sw : sweeps) sw.run();
        // one thread: this thread's CPU time (the machine's cores are shared: wall time would count other processes'
        // slices); more threads: wall time (the workers' time is not this thread's)
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.function.LongSupplier clock = threads == 1 ? cpu::getCurrentThreadCpuTime : System::nanoTime;
        double[][] t = new double[3][rounds];
        for (int round = 0; round < rounds; round++)
            for (int k = 0; k < 3; k++) {
                int which = (round + k) % 3;   // rotate the order every round
                long t0 = clock.getAsLong();
                sweeps[which].run();
                t[which][round] = (clock.getAsLong() - t0) / 1e6;
            }
        for (double[] a : t) Arrays.sort(a);
        double[] d = t[0], s = t[1], rs = t[2];
        double dm = d[rounds / 2], sm = s[rounds / 2], rm = rs[rounds / 2];
        long db = denseBytesOne * copies, sb = sparseBytesOne * copies;
        System.out.printf("%s [%d, %d] sparsity %.2f (%d of %d kept, %d copies, %d thread(s), %s): dense %.2f / %.2f ms (%.1f / %.1f GB/s), "
                        + "sparse %.2f / %.2f ms (%.1f / %.1f GB/s of bytes read), speedup %.2fx / %.2fx; %s %.2f / %.2f ms, speedup %.2fx / %.2fx; limit %.2fx (best / median)%n",
                type, rows, cols, sparsity, nnz, cols, copies, threads, threads == 1 ? "CPU time" : "wall time", d[0], dm, db / d[0] / 1e6, db / dm / 1e6,
                s[0], sm, sb / s[0] / 1e6, sb / sm / 1e6, d[0] / s[0], dm / sm, altKernel ? "registerColumns " + altColumns : altStreams ? "streams " + altStreamCount : alt.startsWith("q8pass") ? alt.substring(6) + " columns a pass" : alt.startsWith("pass") ? alt.substring(4) + " columns a pass" : "rows-only split", rs[0], rm, d[0] / rs[0], dm / rm, (double) db / sb);
        par.close();
    }
}
