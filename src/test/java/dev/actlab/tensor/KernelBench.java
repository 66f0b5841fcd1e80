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
 * bytes, against a plain memory-read baseline measured on the same matrix in the same run (the
 * percentage columns). Best and median of 6 passes each (the first warm up the JIT); one JSON line
 * per format follows the table. Matrices are ~512 MB, far beyond the caches.
 * Not a test (timings do not belong in tests). Run:
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.actlab.tensor.KernelBench [formats...]
 */
public final class KernelBench {
    public static void main(String[] args) {
        String[] names = args.length > 0 ? args : new String[]{"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_K", "Q6_K", "Q5_0", "Q5_1", "MXFP4",
                "Q2_K", "Q3_K", "IQ4_NL"};
        int cols = 4096;
        long target = 512L << 20;
        System.out.printf("%-6s %6s %14s %14s %7s %14s %7s%n", "format", "MB", "read GB/s", "1 thr GB/s", "% read", "2 thr GB/s", "% read");
        System.out.println("        (best / median of 6 passes; % read: best kernel rate over best read rate of the same matrix)");
        StringBuilder json = new StringBuilder();
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
                double[] read = best(() -> readAll(seg), seg.byteSize());
                double[] g1 = best(() -> w.matmul(x, 1, y, one), w.byteSize());
                double[] g2 = best(() -> w.matmul(x, 1, y, two), w.byteSize());
                System.out.printf("%-6s %6d %6.2f / %5.2f %6.2f / %5.2f %6.1f%% %6.2f / %5.2f %6.1f%%%n", n, w.byteSize() >> 20,
                        read[0], read[1], g1[0], g1[1], 100 * g1[0] / read[0], g2[0], g2[1], 100 * g2[0] / read[0]);
                json.append(String.format(java.util.Locale.ROOT, "{\"format\":\"%s\",\"mb\":%d,\"read_gbs\":[%.3f,%.3f],\"one_thread_gbs\":[%.3f,%.3f],"
                        + "\"two_threads_gbs\":[%.3f,%.3f],\"one_thread_of_read\":%.4f}%n", n, w.byteSize() >> 20, read[0], read[1], g1[0], g1[1], g2[0], g2[1], g1[0] / read[0]));
            }
        }
        System.out.print(json);
    }

    static long sink;

    /** Plain streaming read of the segment (the memory-bandwidth yardstick). */
    static void readAll(MemorySegment s) {
        LongVector acc = LongVector.zero(LongVector.SPECIES_256);
        long n = s.byteSize() / 32 * 32;
        for (long o = 0; o < n; o += 32) acc = acc.add(LongVector.fromMemorySegment(LongVector.SPECIES_256, s, o, ByteOrder.LITTLE_ENDIAN));
        sink += acc.reduceLanes(VectorOperators.XOR);
    }

    /** {best, median} GB/s over 6 passes (the first passes warm up the JIT). */
    static double[] best(Runnable body, long bytes) {
        double[] g = new double[6];
        for (int i = 0; i < g.length; i++) {
            long t0 = System.nanoTime();
            body.run();
            g[i] = bytes / ((System.nanoTime() - t0) / 1e9) / 1e9;
        }
        java.util.Arrays.sort(g);
        return new double[]{g[g.length - 1], (g[2] + g[3]) / 2};
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
