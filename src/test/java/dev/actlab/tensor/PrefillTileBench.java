package dev.actlab.tensor;

import java.lang.management.ManagementFactory;

/**
 * The prefill GEMM's register tiles alone, one thread, on one block of TiledMatmul's shape (8 strips of 12 weight rows
 * x KC = 256 columns, 128 tokens), in GFLOP per CPU-second against FmaProbe on the same thread, tiles alternating over
 * rounds: the 12 x 2 tile (panels of 2 vectors of tokens, 12 broadcasts a step) and the 6 x 4 tile (panels of 4
 * vectors, 6 broadcasts a step). Not a test. Run:
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.tensor.PrefillTileBench [ROUNDS]
 */
public final class PrefillTileBench {
    static volatile float sink;

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int strips = 8, rows = strips * GemmKernel.MR, n = 128, kc = Gemm.KC, reps = 400;
        float[] a = QuantizedKernelTest.randomVector(rows * GemmKernel.RS, 1), b = QuantizedKernelTest.randomVector(n * kc, 2);
        float[] c = new float[rows * (n + 16)];
        int ldc = n + 16;
        double flops = 2.0 * rows * n * kc * reps;
        var mx = ManagementFactory.getThreadMXBean();
        double[] best = new double[3];
        for (int r = 0; r < rounds; r++) {
            for (int kind = 0; kind < 3; kind++) {
                long t0 = mx.getCurrentThreadCpuTime();
                if (kind == 2) sink = FmaProbe.run(reps * 1000);
                else for (int rep = 0; rep < reps; rep++) {
                    if (kind == 0) {
                        for (int p = 0; p < n / GemmKernel.P2; p++)
                            for (int s = 0; s < strips; s++)
                                GemmKernel.rows12x2Packed(c, s * 12 * ldc + p * GemmKernel.P2, ldc, a, s * 12 * GemmKernel.RS, b, p * kc * GemmKernel.P2, kc);
                    } else {
                        for (int p = 0; p < n / GemmKernel.P4; p++)
                            for (int s = 0; s < 2 * strips; s++)
                                GemmKernel.rows6x4(c, s * 6 * ldc + p * GemmKernel.P4, ldc, false, a, s * 6 * GemmKernel.RS, GemmKernel.RS, b, p * kc * GemmKernel.P4, kc);
                    }
                }
                long ns = mx.getCurrentThreadCpuTime() - t0;
                double g = kind == 2 ? reps * 1000.0 * FmaProbe.FLOPS_PER_ITERATION / ns : flops / ns;
                best[kind] = Math.max(best[kind], g);
                System.out.printf("round %d %s %.1f GFLOP per CPU-s%n", r, kind == 0 ? "12x2" : kind == 1 ? "6x4 " : "fma ", g);
            }
            sink += c[r];
        }
        System.out.printf("best: 12x2 %.1f (%.0f%% of peak), 6x4 %.1f (%.0f%%), FMA peak %.1f GFLOP per CPU-s%n",
                best[0], 100 * best[0] / best[2], best[1], 100 * best[1] / best[2], best[2]);
    }
}
