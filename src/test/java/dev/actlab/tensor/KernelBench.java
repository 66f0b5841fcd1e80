package dev.actlab.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Weight streaming rate of each format's decode kernel (y = W x for one token), in GB/s of weight
 * bytes, against a plain memory-read baseline. Matrices are ~512 MB, far beyond the caches.
 * Not a test (timings do not belong in tests). Run:
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.tensor.KernelBench [formats...]
 */
public final class KernelBench {
    public static void main(String[] args) {
        String[] names = args.length > 0 ? args : new String[]{"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_K", "Q6_K", "Q5_0", "Q5_1", "MXFP4"};
        int cols = 4096;
        long target = 512L << 20;
        System.out.printf("%-6s %8s %10s %10s %10s%n", "format", "MB", "read GB/s", "1 thr GB/s", "2 thr GB/s");
        for (String n : names) {
            DType t = DType.valueOf(n);
            int rows = (int) (target / t.bytesFor(cols));
            try (Arena arena = Arena.ofShared(); Parallel two = new Parallel(2); Parallel one = new Parallel(1)) {
                MemorySegment seg = arena.allocate(rows * t.bytesFor(cols), 64);
                fill(seg, t, rows, cols);
                WeightMatrix w = WeightMatrices.of(t, seg, rows, cols);
                float[] x = new float[cols], y = new float[rows];
                SplittableRandom r = new SplittableRandom(1);
                for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
                double read = best(() -> readAll(seg), seg.byteSize());
                double g1 = best(() -> w.matmul(x, 1, y, one), w.byteSize());
                double g2 = best(() -> w.matmul(x, 1, y, two), w.byteSize());
                System.out.printf("%-6s %8d %10.2f %10.2f %10.2f%n", n, w.byteSize() >> 20, read, g1, g2);
            }
        }
    }

    static long sink;

    /** Plain streaming read of the segment (the memory-bandwidth yardstick). */
    static void readAll(MemorySegment s) {
        LongVector acc = LongVector.zero(LongVector.SPECIES_256);
        long n = s.byteSize() / 32 * 32;
        for (long o = 0; o < n; o += 32) acc = acc.add(LongVector.fromMemorySegment(LongVector.SPECIES_256, s, o, ByteOrder.LITTLE_ENDIAN));
        sink += acc.reduceLanes(VectorOperators.XOR);
    }

    static double best(Runnable body, long bytes) {
        double best = 0;
        for (int i = 0; i < 6; i++) {   // the first passes warm up the JIT
            long t0 = System.nanoTime();
            body.run();
            double gbs = bytes / ((System.nanoTime() - t0) / 1e9) / 1e9;
            best = Math.max(best, gbs);
        }
        return best;
    }

    /** Random quants with small finite scales. */
    static void fill(MemorySegment seg, DType t, int rows, int cols) {
        SplittableRandom r = new SplittableRandom(2);
        for (long o = 0; o + 8 <= seg.byteSize(); o += 8) seg.set(ValueLayout.JAVA_LONG_UNALIGNED, o, r.nextLong());
        ValueLayout.OfShort h = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        if (t == DType.F32) for (long o = 0; o < seg.byteSize(); o += 4) seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o, (float) r.nextGaussian());
        else if (t == DType.F16) for (long o = 0; o < seg.byteSize(); o += 2) seg.set(h, o, Float.floatToFloat16((float) r.nextGaussian()));
        else if (t == DType.BF16) for (long o = 0; o < seg.byteSize(); o += 2) seg.set(h, o, (short) (Float.floatToRawIntBits((float) r.nextGaussian()) >>> 16));
        else {
            int[] fields = switch (t) {   // f16 scale fields per block
                case Q8_0, Q4_0, Q5_0 -> new int[]{0};
                case Q4_1, Q4_K, Q5_K, Q5_1 -> new int[]{0, 2};
                case Q6_K -> new int[]{208};
                case Q2_K -> new int[]{80, 82};
                case Q3_K -> new int[]{108};
                case IQ4_NL -> new int[]{0};
                default -> new int[0];
            };
            for (long b = 0; b < seg.byteSize() / t.blockBytes; b++)
                for (int f : fields) seg.set(h, b * t.blockBytes + f, Float.floatToFloat16(0.01f));
            if (t == DType.MXFP4)   // the E8M0 scale byte: 2^-7
                for (long b = 0; b < seg.byteSize() / t.blockBytes; b++) seg.set(ValueLayout.JAVA_BYTE, b * t.blockBytes, (byte) 120);
        }
    }
}
