package dev.actlab.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Decode kernel (y = W x, one token, one thread) of the current classes against the kernels as
 * they were before the quantized-kernel work (the Before* copies), timed alternately in the same
 * process on the same ~256 MB matrix, plus a plain memory read. Not a test. Run:
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.tensor.KernelDuel [rounds] [formats...]
 */
public final class KernelDuel {
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        String[] names = args.length > 1 ? Arrays.copyOfRange(args, 1, args.length) : new String[]{"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_K", "Q6_K"};
        int cols = 4096;
        long target = 256L << 20;
        System.out.printf("%-6s %6s | %-13s | %-13s | %-13s  (GB/s of weight bytes, best / median of %d)%n", "format", "MB", "read", "before", "after", rounds);
        for (String n : names) {
            DType t = DType.valueOf(n);
            int rows = (int) (target / t.bytesFor(cols));
            try (Arena arena = Arena.ofShared(); Parallel one = new Parallel(1)) {
                MemorySegment seg = arena.allocate(rows * t.bytesFor(cols), 64);
                KernelBench.fill(seg, t, rows, cols);
                WeightMatrix after = WeightMatrices.of(t, seg, rows, cols), before = before(t, seg, rows, cols);
                float[] x = new float[cols], y = new float[rows];
                SplittableRandom r = new SplittableRandom(1);
                for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
                double[] read = new double[rounds], b = new double[rounds], a = new double[rounds];
                for (int i = 0; i < 3; i++) { before.matmul(x, 1, y, one); after.matmul(x, 1, y, one); }   // JIT warm-up
                for (int i = 0; i < rounds; i++) {
                    read[i] = time(() -> KernelBench.readAll(seg), seg.byteSize());
                    b[i] = time(() -> before.matmul(x, 1, y, one), after.byteSize());
                    a[i] = time(() -> after.matmul(x, 1, y, one), after.byteSize());
                }
                System.out.printf("%-6s %6d | %s | %s | %s%n", n, after.byteSize() >> 20, fmt(read), fmt(b), fmt(a));
            }
        }
    }

    static WeightMatrix before(DType t, MemorySegment seg, int rows, int cols) {
        return switch (t) {
            case F16 -> new BeforeF16Matrix(seg, rows, cols);
            case BF16 -> new BeforeBF16Matrix(seg, rows, cols);
            case Q8_0 -> new BeforeQ8_0Matrix(seg, rows, cols);
            case Q4_0 -> new BeforeQ4_0Matrix(seg, rows, cols);
            case Q4_1 -> new BeforeQ4_1Matrix(seg, rows, cols);
            case Q4_K -> new BeforeQ4KMatrix(seg, rows, cols);
            case Q5_K -> new BeforeQ5KMatrix(seg, rows, cols);
            case Q6_K -> new BeforeQ6KMatrix(seg, rows, cols);
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    static double time(Runnable body, long bytes) {
        long t0 = System.nanoTime();
        body.run();
        return bytes / ((System.nanoTime() - t0) / 1e9) / 1e9;
    }

    static String fmt(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return String.format("%5.2f / %5.2f", s[s.length - 1], s[s.length / 2]);
    }
}
