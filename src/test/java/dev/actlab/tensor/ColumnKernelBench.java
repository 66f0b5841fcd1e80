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
 * sweep (of this thread's CPU time), GB/s of the bytes each actually reads, the time ratio and the traffic limit. Not a test.
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
        long sparseBytesOne = q8 ? (long) nnz * rows + (long) blocksTouched * rows * 4 : (long) nnz * (((InputMajorF32) s0).byteSize() / cols);
        float[] y = new float[rows];
        final int n = nnz;
        Parallel one = new Parallel(1);
        Runnable denseSweep = () -> { for (WeightMatrix m : dense) m.matmul(x, 1, y, one); };
        Runnable sparseSweep = q8
                ? () -> { for (Object s : sparse) ((InputMajorQ8) s).gemv(x, 0, idx, n, y, 0, one); }
                : () -> { for (Object s : sparse) ((InputMajorF32) s).gemv(x, 0, idx, n, y, 0, one); };
        for (int i = 0; i < 3; i++) { denseSweep.run(); sparseSweep.run(); }
        // times are this thread's CPU time (the machine's cores are shared: wall time would count other processes' slices)
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        double[] d = new double[rounds], s = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            boolean denseFirst = round % 2 == 0;
            long t0 = cpu.getCurrentThreadCpuTime();
            (denseFirst ? denseSweep : sparseSweep).run();
            long t1 = cpu.getCurrentThreadCpuTime();
            (denseFirst ? sparseSweep : denseSweep).run();
            long t2 = cpu.getCurrentThreadCpuTime();
            d[round] = (denseFirst ? t1 - t0 : t2 - t1) / 1e6;
            s[round] = (denseFirst ? t2 - t1 : t1 - t0) / 1e6;
        }
        Arrays.sort(d); Arrays.sort(s);
        double dm = d[rounds / 2], sm = s[rounds / 2];
        long db = denseBytesOne * copies, sb = sparseBytesOne * copies;
        System.out.printf("%s [%d, %d] sparsity %.2f (%d of %d kept, %d copies, 1 thread): dense %.2f / %.2f ms (%.1f / %.1f GB/s), "
                        + "sparse %.2f / %.2f ms (%.1f / %.1f GB/s of bytes read), speedup %.2fx / %.2fx, limit %.2fx (best / median)%n",
                type, rows, cols, sparsity, nnz, cols, copies, d[0], dm, db / d[0] / 1e6, db / dm / 1e6,
                s[0], sm, sb / s[0] / 1e6, sb / sm / 1e6, d[0] / s[0], dm / sm, (double) db / sb);
    }
}
