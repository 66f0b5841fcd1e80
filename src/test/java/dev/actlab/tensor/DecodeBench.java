package dev.actlab.tensor;

import java.lang.management.ManagementFactory;

/**
 * Decode GEMV (one token) on one thread, in weight GB per CPU-second (CPU time: a descheduled
 * thread does not count on a shared machine), a KernelChoice switch off vs on, alternating.
 * Not a test. Run: java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes
 * dev.actlab.tensor.DecodeBench SWITCH FORMAT [rows cols]
 */
public final class DecodeBench {
    public static void main(String[] args) throws Exception {
        var field = KernelChoice.class.getField(args[0]);
        DType t = DType.valueOf(args[1]);
        int rows = args.length > 2 ? Integer.parseInt(args[2]) : 8192, cols = args.length > 3 ? Integer.parseInt(args[3]) : 2048;
        var mx = ManagementFactory.getThreadMXBean();
        WeightMatrix w = QuantizedKernelTest.randomMatrix(t, rows, cols, 1);
        float[] x = QuantizedKernelTest.randomVector(cols, 2), y = new float[rows];
        double[] best = new double[2];
        double[][] all = new double[2][15];
        try (Parallel one = new Parallel(1)) {
            for (int round = -5; round < 15; round++)
                for (int v : round % 2 == 0 ? new int[]{0, 1} : new int[]{1, 0}) {
                    field.setBoolean(null, v == 1);
                    long c0 = mx.getCurrentThreadCpuTime();
                    for (int rep = 0; rep < 5; rep++) w.matmul(x, 1, y, one);
                    double gbs = 5.0 * w.byteSize() / (mx.getCurrentThreadCpuTime() - c0);
                    if (round >= 0) { best[v] = Math.max(best[v], gbs); all[v][round] = gbs; }
                }
        }
        java.util.Arrays.sort(all[0]); java.util.Arrays.sort(all[1]);
        System.out.printf("%s [%d, %d] decode, 1 thread, GB per CPU-s: off best %.2f median %.2f; on best %.2f median %.2f; ratio best %.3f median %.3f%n",
                t, rows, cols, best[0], all[0][7], best[1], all[1][7], best[1] / best[0], all[1][7] / all[0][7]);
    }
}
