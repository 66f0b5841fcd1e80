package dev.actlab.tensor;

import java.lang.management.ManagementFactory;

/**
 * Prefill GEMM efficiency on one thread, in GFLOP per CPU-second (CPU time, not wall time: on a
 * shared machine a descheduled thread does not count), old path (per-row dots) vs the tiled GEMM,
 * against FmaProbe on the same thread, alternating. Not a test. Run:
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.tensor.TiledBench [rows cols n [F32,F16,Q8_0,Q4_0]]
 */
public final class TiledBench {
    static volatile float sink;

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 2048, cols = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        KernelChoice.prefillTokenMajor = Boolean.parseBoolean(System.getProperty("prefillTokenMajor", "true"));
        var mx = ManagementFactory.getThreadMXBean();
        try (Parallel one = new Parallel(1)) {
            {   // the training GEMM on the same product, as an anchor: C [n, rows] = x [n, cols] W^T
                float[] a = QuantizedKernelTest.randomVector(n * cols, 2), b = QuantizedKernelTest.randomVector(rows * cols, 3), c = new float[n * rows];
                double best = 0;
                for (int round = 0; round < 5; round++) {
                    long c0 = mx.getCurrentThreadCpuTime();
                    Gemm.multiply(c, a, false, b, true, n, cols, rows, one);
                    best = Math.max(best, 2.0 * rows * cols * n / (mx.getCurrentThreadCpuTime() - c0));
                }
                System.out.printf("Gemm.multiply (training's GEMM) on the same shape: %.1f GFLOP per CPU-s%n", best);
            }
            for (String name : args.length > 3 ? args[3].split(",") : new String[]{"F32", "F16", "Q8_0", "Q4_0"}) {
                DType t = DType.valueOf(name);
                WeightMatrix w = QuantizedKernelTest.randomMatrix(t, rows, cols, 1);
                float[] x = QuantizedKernelTest.randomVector(n * cols, 2), y = new float[n * rows];
                double flops = 2.0 * rows * cols * n;
                double bestOld = 0, bestNew = 0, bestFma = 0;
                for (int round = 0; round < 5; round++) {
                    for (boolean tiled : new boolean[]{false, true}) {
                        KernelChoice.tiledPrefill = tiled;
                        long c0 = mx.getCurrentThreadCpuTime();
                        w.matmul(x, n, y, one);
                        double g = flops / (mx.getCurrentThreadCpuTime() - c0);
                        if (tiled) bestNew = Math.max(bestNew, g); else bestOld = Math.max(bestOld, g);
                    }
                    long c0 = mx.getCurrentThreadCpuTime();
                    sink = FmaProbe.run(2_000_000);
                    bestFma = Math.max(bestFma, 2_000_000.0 * FmaProbe.FLOPS_PER_ITERATION / (mx.getCurrentThreadCpuTime() - c0));
                }
                KernelChoice.tiledPrefill = true;
                System.out.printf("%-5s [%d, %d] x %d tokens, 1 thread, GFLOP per CPU-s (best of 5): old %.1f, tiled %.1f (x%.2f); FMA peak %.1f: tiled at %.0f%% of peak%n",
                        name, rows, cols, n, bestOld, bestNew, bestNew / bestOld, bestFma, 100 * bestNew / bestFma);
            }
        }
    }
}
