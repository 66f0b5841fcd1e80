package dev.actlab.tensor;

import java.util.SplittableRandom;

/**
 * Decode GEMV of a 2:4-pruned float32 matrix: the dense kernel (F32Matrix) against the compressed
 * one (TwoFourF32Matrix), alternating, in GB/s of dense-equivalent weights and as a ratio. Not a test.
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.tensor.TwoFourKernelBench [rows cols threads]
 */
public final class TwoFourKernelBench {
    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 8192, cols = args.length > 1 ? Integer.parseInt(args[1]) : 8192;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        SplittableRandom r = new SplittableRandom(3);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        for (int i = 0; i < rows; i++) TwoFourF32Matrix.keepLargestTwo(w, i * cols, cols);
        F32Matrix dense = F32Matrix.of(w, rows, cols);
        TwoFourF32Matrix sparse = TwoFourF32Matrix.of(dense);
        float[] x = new float[cols], y = new float[rows];
        for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
        try (Parallel par = new Parallel(threads)) {
            int rounds = 31;
            double[] d = new double[rounds], s = new double[rounds];
            for (int round = 0; round < rounds; round++) {   // alternating, the first of each pair swapped every round
                long t0 = System.nanoTime();
                if (round % 2 == 0) dense.matmul(x, 1, y, par); else sparse.matmul(x, 1, y, par);
                long t1 = System.nanoTime();
                if (round % 2 == 0) sparse.matmul(x, 1, y, par); else dense.matmul(x, 1, y, par);
                long t2 = System.nanoTime();
                d[round] = (round % 2 == 0 ? t1 - t0 : t2 - t1) / 1e6; s[round] = (round % 2 == 0 ? t2 - t1 : t1 - t0) / 1e6;
            }
            java.util.Arrays.sort(d); java.util.Arrays.sort(s);
            double dm = d[rounds / 2], sm = s[rounds / 2];
            System.out.printf("[%d, %d] %d threads: dense best %.2f / median %.2f ms (%.1f GB/s best), 2:4 best %.2f / median %.2f ms (%.1f GB/s of its %d MB), "
                            + "ratio best %.2f / median %.2f (traffic limit %.2f)%n",
                    rows, cols, threads, d[0], dm, dense.byteSize() / d[0] / 1e6, s[0], sm, sparse.byteSize() / s[0] / 1e6, sparse.byteSize() >> 20,
                    d[0] / s[0], dm / sm, (double) dense.byteSize() / sparse.byteSize());
        }
    }
}
