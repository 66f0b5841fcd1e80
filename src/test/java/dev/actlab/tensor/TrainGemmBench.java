package dev.actlab.tensor;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

/**
 * The linear-layer products of one training step (forward x W^T, dx = dy W, dW = dy^T x for every
 * matrix of the blocks and the tied unembedding) on one thread, in GFLOP per CPU-second against
 * FmaProbe on the same thread, with a KernelChoice switch off and on in alternating rounds. Not a
 * test. Run (after mvn test-compile):
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.tensor.TrainGemmBench [brown|small] [rounds] [switch]
 * (switch: a KernelChoice field, default transposedAAsRows)
 */
public final class TrainGemmBench {
    static volatile float sink;

    public static void main(String[] args) throws ReflectiveOperationException {
        boolean small = args.length > 0 && args[0].equals("small");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        var toggle = KernelChoice.class.getField(args.length > 2 ? args[2] : "transposedAAsRows");
        int n = small ? 16 * 256 : 8 * 256, c = small ? 256 : 192, h = small ? 688 : 512, kv = small ? 128 : 64, v = 4096;
        int[][] shapes = {{c, c}, {c, kv}, {c, kv}, {c, c}, {c, h}, {c, h}, {h, c}};   // [in, out] of wq wk wv wo gate up down
        int layers = small ? 6 : 5;
        SplittableRandom rng = new SplittableRandom(1);
        float[] x = random(n * Math.max(h, c), rng), dy = random(n * v, rng), w = random(v * c + h * c, rng);
        float[] y = new float[n * v], dw = new float[v * c + h * c];
        var mx = ManagementFactory.getThreadMXBean();
        String[] kinds = {"forward", "dx", "dW"};
        double[][] best = new double[2][3];
        double bestFma = 0;
        try (Parallel one = new Parallel(1)) {
            for (int round = 0; round < rounds; round++) {
                for (int on = 0; on < 2; on++) {
                    toggle.setBoolean(null, on == 1);
                    for (int kind = 0; kind < 3; kind++) {
                        double flops = 0;
                        long t0 = mx.getCurrentThreadCpuTime();
                        for (int l = 0; l <= layers * shapes.length; l++) {
                            int in = l == layers * shapes.length ? c : shapes[l % shapes.length][0];
                            int out = l == layers * shapes.length ? v : shapes[l % shapes.length][1];
                            flops += 2.0 * n * in * out;
                            switch (kind) {
                                case 0 -> Gemm.multiply(y, 0, out, x, 0, in, false, w, 0, in, true, n, in, out, Gemm.Zeros.C_BEFORE, one);
                                case 1 -> Gemm.multiply(x, dy, false, w, false, n, out, in, one);
                                default -> Gemm.multiply(dw, dy, true, x, false, out, n, in, one);
                            }
                        }
                        best[on][kind] = Math.max(best[on][kind], flops / (mx.getCurrentThreadCpuTime() - t0));
                    }
                }
                long t0 = mx.getCurrentThreadCpuTime();
                sink = FmaProbe.run(2_000_000);
                bestFma = Math.max(bestFma, 2_000_000.0 * FmaProbe.FLOPS_PER_ITERATION / (mx.getCurrentThreadCpuTime() - t0));
            }
        }
        toggle.setBoolean(null, true);
        System.out.printf("%s step's linear products, n %d, 1 thread, best of %d, GFLOP per CPU-s (%% of the %.1f FMA peak), switch %s%n", small ? "small" : "brown", n, rounds, bestFma, toggle.getName());
        for (int kind = 0; kind < 3; kind++)
            System.out.printf("%-8s switch off %.1f (%.0f%%)  on %.1f (%.0f%%)%n", kinds[kind], best[0][kind], 100 * best[0][kind] / bestFma,
                    best[1][kind], 100 * best[1][kind] / bestFma);
    }

    private static float[] random(int n, SplittableRandom rng) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rng.nextGaussian() * 0.1);
        return v;
    }
}
