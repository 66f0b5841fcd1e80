package dev.actlab.tensor;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The W8A8 kernels against the float panel GEMM on MiniLM's three matrix shapes, one thread, in
 * GFLOP per CPU-second (CPU time: a descheduled thread on a shared machine does not count),
 * contenders alternating within each round; prints best and median and the ratio to F32. Not a test. Run:
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.tensor.W8A8KernelBench [n] [rounds]
 */
public final class W8A8KernelBench {
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 4096, rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        var mx = ManagementFactory.getThreadMXBean();
        int[][] shapes = {{384, 384}, {1536, 384}, {384, 1536}};
        System.out.printf("n = %d tokens, one thread, %d rounds, GFLOP per CPU-second best / median%n", n, rounds);
        try (Parallel one = new Parallel(1)) {
            for (int[] s : shapes) {
                int rows = s[0], cols = s[1];
                SplittableRandom r = new SplittableRandom(rows + cols);
                float[] w = new float[rows * cols], x = new float[n * cols], y = new float[n * rows];
                for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
                for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                byte[] q = new byte[rows * cols];
                float[] scale = new float[rows];
                for (int i = 0; i < q.length; i++) q[i] = (byte) r.nextInt(-127, 128);
                java.util.Arrays.fill(scale, 0.01f);
                List<String> names = List.of("F32 panel", "W8A8 int16 widening", "W8 dequant -> F32 FMA");
                List<WeightMatrix> ms = new ArrayList<>(List.of(F32PanelMatrix.of(F32Matrix.of(w, rows, cols)), Int8PanelMatrix.of(q, scale, null, rows, cols)));
                
                    ms.add(Int8WeightPanelMatrix.of(q, scale, null, rows, cols));
                double[][] g = new double[ms.size()][rounds];
                for (int warm = 0; warm < 3; warm++) for (WeightMatrix m : ms) m.matmul(x, n, y, one);
                for (int round = 0; round < rounds; round++)
                    for (int i = 0; i < ms.size(); i++) {
                        int c = (i + round) % ms.size();   // alternate who goes first
                        long c0 = mx.getCurrentThreadCpuTime();
                        ms.get(c).matmul(x, n, y, one);
                        g[c][round] = 2.0 * rows * cols * n / (mx.getCurrentThreadCpuTime() - c0);
                    }
                for (int i = 0; i < ms.size(); i++) {
                    double[] v = g[i].clone();
                    java.util.Arrays.sort(v);
                    double[] f = g[0].clone();
                    java.util.Arrays.sort(f);
                    System.out.printf("[%4d x %4d] %-24s %6.1f / %6.1f   x%.2f / x%.2f of F32%n", rows, cols, names.get(i), v[rounds - 1], v[rounds / 2],
                            v[rounds - 1] / f[rounds - 1], v[rounds / 2] / f[rounds / 2]);
                }
            }
        }
    }
}
