package dev.actlab.tensor;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Decode GEMV of a 2:4-pruned float32 matrix: the dense kernel (F32Matrix) against the compressed
 * one (TwoFourF32Matrix), alternating, in GB/s of the bytes each actually reads and as a ratio. Not a test.
 * A pass runs the GEMV once on each of COPIES different matrices of the shape (default: enough for
 * the compressed copies to fill 96 MB, three times a 32 MB L3), so the weights come from memory as
 * in decode, not from cache; COPIES = 1 measures the in-cache (compute) rate. With one thread it
 * also times the thread's CPU time, which a loaded machine's time-sharing does not inflate.
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.tensor.TwoFourKernelBench [rows cols threads copies rounds]
 */
public final class TwoFourKernelBench {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 2048, cols = args.length > 1 ? Integer.parseInt(args[1]) : 768;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int copies = args.length > 3 ? Integer.parseInt(args[3]) : (int) Math.max(1, (96L << 20) / ((long) rows * cols * 2 + (long) rows * cols / 8));
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 21;
        SplittableRandom r = new SplittableRandom(3);
        F32Matrix[] dense = new F32Matrix[copies];
        TwoFourF32Matrix[] sparse = new TwoFourF32Matrix[copies];
        for (int k = 0; k < copies; k++) {
            float[] w = new float[rows * cols];
            for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
            for (int i = 0; i < rows; i++) TwoFourF32Matrix.keepLargestTwo(w, i * cols, cols);
            dense[k] = F32Matrix.of(w, rows, cols);
            sparse[k] = TwoFourF32Matrix.of(dense[k]);
        }
        float[] x = new float[cols], y = new float[rows];
        for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
        boolean cpu = threads == 1 && MX.isCurrentThreadCpuTimeSupported();
        double[] dWall = new double[rounds], sWall = new double[rounds], dCpu = new double[rounds], sCpu = new double[rounds];
        try (Parallel par = new Parallel(threads)) {
            for (int round = -3; round < rounds; round++) {   // 3 warm-up rounds; then alternating, the first swapped every round
                for (int j = 0; j < 2; j++) {
                    boolean isDense = (j == 0) == (round % 2 == 0);
                    long w0 = System.nanoTime(), c0 = cpu ? MX.getCurrentThreadCpuTime() : 0;
                    for (int k = 0; k < copies; k++) (isDense ? (WeightMatrix) dense[k] : sparse[k]).matmul(x, 1, y, par);
                    double wall = (System.nanoTime() - w0) / 1e6 / copies, c = cpu ? (MX.getCurrentThreadCpuTime() - c0) / 1e6 / copies : Double.NaN;
                    if (round < 0) continue;
                    if (isDense) { dWall[round] = wall; dCpu[round] = c; } else { sWall[round] = wall; sCpu[round] = c; }
                }
            }
        }
        long db = dense[0].byteSize(), sb = sparse[0].byteSize();
        System.out.printf("[%d, %d] x %d copies (%d MB dense, %d MB 2:4), %d threads, %d rounds; traffic limit %.2fx%n",
                rows, cols, copies, db * copies >> 20, sb * copies >> 20, threads, rounds, (double) db / sb);
        report("wall", dWall, sWall, db, sb);
        if (cpu) report("cpu", dCpu, sCpu, db, sb);
    }

    private static void report(String clock, double[] d, double[] s, long db, long sb) {
        d = d.clone(); s = s.clone();
        Arrays.sort(d); Arrays.sort(s);
        double dm = d[d.length / 2], sm = s[s.length / 2];
        System.out.printf("  %-4s dense best %.3f ms (%.1f GB/s) median %.3f ms (%.1f GB/s) | 2:4 best %.3f ms (%.1f GB/s) median %.3f ms (%.1f GB/s) | speedup best %.2fx median %.2fx%n",
                clock, d[0], db / d[0] / 1e6, dm, db / dm / 1e6, s[0], sb / s[0] / 1e6, sm, sb / sm / 1e6, d[0] / s[0], dm / sm);
    }
}
