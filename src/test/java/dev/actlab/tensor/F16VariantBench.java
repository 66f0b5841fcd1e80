package dev.actlab.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * F16 decode GEMV variants tried on branch q8f16 (docs/engine-speed-log.md, "Q8_0 and F16 decode, fourth pass"), one thread, on a
 * matrix in a memory-mapped temp file, alternating rounds, weight GB per CPU-second best / median, and whether
 * each gives the first variant's bits. Not a test. Run: java --add-modules jdk.incubator.vector -cp
 * target/classes:target/test-classes -Drounds=15 -Dvariants=scalarScale,vectorScale [-Dch=768]
 * dev.actlab.tensor.F16VariantBench [rows cols]. Variants: scalarScale / vectorScale (F16Matrix.matmul with
 * scaledInput's scalar or vector loop, i.e. with the per-chunk scaling), main (matmulRows over all rows), conv
 * (halves converted ch at a time by a plain loop that C2 vectorizes to vcvtph2ps, then the four-row FMA pass),
 * conv4 (conv with the four rows converted in one loop: not vectorized).
 */
public final class F16VariantBench {
    static final VectorSpecies<Float> F = QuantLanes.FL;
    static final int CH = Integer.getInteger("ch", 256);

    /** halves [o, o + 2n) to floats, a plain loop for C2's auto-vectorizer (vcvtph2ps). */
    static void convert(MemorySegment d, long o, float[] dst, int off, int n) {
        for (int i = 0; i < n; i++) dst[off + i] = Float.float16ToFloat(d.get(PackedMatrix.I16, o + 2L * i));
    }

    /** Four rows a quarter apart, halves converted CH at a time into scratch by convert(), then dot's FMA chain per row. */
    static void rowsConv(F16Matrix m, float[] x, int n, float[] out, int from, int to) {
        int q = (to - from) / 4, cols = m.cols, rows = m.rows;
        float[] w = new float[4 * CH];
        for (int t = 0; t < n; t++) {
            int xo = t * cols;
            for (int i = 0; i < q; i++) {
                int row = from + i;
                long gap = (long) q * m.rowBytes, r0 = row * m.rowBytes;
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                int c = 0;
                for (; c + CH <= cols; c += CH) {
                    convert(m.data, r0 + 2L * c, w, 0, CH);
                    convert(m.data, r0 + gap + 2L * c, w, CH, CH);
                    convert(m.data, r0 + 2 * gap + 2L * c, w, 2 * CH, CH);
                    convert(m.data, r0 + 3 * gap + 2L * c, w, 3 * CH, CH);
                    for (int k = 0; k < CH; k += 8) {
                        FloatVector xv = FloatVector.fromArray(F, x, xo + c + k);
                        a0 = FloatVector.fromArray(F, w, k).fma(xv, a0);
                        a1 = FloatVector.fromArray(F, w, CH + k).fma(xv, a1);
                        a2 = FloatVector.fromArray(F, w, 2 * CH + k).fma(xv, a2);
                        a3 = FloatVector.fromArray(F, w, 3 * CH + k).fma(xv, a3);
                    }
                }
                if (c < cols) throw new IllegalStateException("cols % CH");
                int o = t * rows + row;
                out[o] = Lanes.sum(a0);
                out[o + q] = Lanes.sum(a1);
                out[o + 2 * q] = Lanes.sum(a2);
                out[o + 3 * q] = Lanes.sum(a3);
            }
            for (int r = from + 4 * q; r < to; r++) out[t * rows + r] = m.dot(r, x, t * cols);
        }
    }

    static void convert4(MemorySegment d, long o0, long gap, float[] dst, int n) {
        long o1 = o0 + gap, o2 = o1 + gap, o3 = o2 + gap;
        for (int i = 0; i < n; i++) {
            dst[i] = Float.float16ToFloat(d.get(PackedMatrix.I16, o0 + 2L * i));
            dst[n + i] = Float.float16ToFloat(d.get(PackedMatrix.I16, o1 + 2L * i));
            dst[2 * n + i] = Float.float16ToFloat(d.get(PackedMatrix.I16, o2 + 2L * i));
            dst[3 * n + i] = Float.float16ToFloat(d.get(PackedMatrix.I16, o3 + 2L * i));
        }
    }

    /** As rowsConv with the four rows converted in one loop. */
    static void rowsConv4(F16Matrix m, float[] x, int n, float[] out, int from, int to) {
        int q = (to - from) / 4, cols = m.cols, rows = m.rows;
        float[] w = new float[4 * CH];
        for (int t = 0; t < n; t++) {
            int xo = t * cols;
            for (int i = 0; i < q; i++) {
                int row = from + i;
                long gap = (long) q * m.rowBytes, r0 = row * m.rowBytes;
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                int c = 0;
                for (; c + CH <= cols; c += CH) {
                    convert4(m.data, r0 + 2L * c, gap, w, CH);
                    for (int k = 0; k < CH; k += 8) {
                        FloatVector xv = FloatVector.fromArray(F, x, xo + c + k);
                        a0 = FloatVector.fromArray(F, w, k).fma(xv, a0);
                        a1 = FloatVector.fromArray(F, w, CH + k).fma(xv, a1);
                        a2 = FloatVector.fromArray(F, w, 2 * CH + k).fma(xv, a2);
                        a3 = FloatVector.fromArray(F, w, 3 * CH + k).fma(xv, a3);
                    }
                }
                if (c < cols) throw new IllegalStateException("cols % CH");
                int o = t * rows + row;
                out[o] = Lanes.sum(a0);
                out[o + q] = Lanes.sum(a1);
                out[o + 2 * q] = Lanes.sum(a2);
                out[o + 3 * q] = Lanes.sum(a3);
            }
            for (int r = from + 4 * q; r < to; r++) out[t * rows + r] = m.dot(r, x, t * cols);
        }
    }

    interface Kernel { void run(F16Matrix m, float[] x, int n, float[] out, int from, int to); }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 2048, cols = args.length > 1 ? Integer.parseInt(args[1]) : 768;
        int rounds = Integer.getInteger("rounds", 15);
        F16Matrix heap = (F16Matrix) QuantizedKernelTest.randomMatrix(DType.F16, rows, cols, 1);
        Path f = Files.createTempFile("f16v", ".bin");
        f.toFile().deleteOnExit();
        Files.write(f, heap.data.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        MemorySegment mapped;
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) { mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, heap.byteSize(), Arena.global()); }
        F16Matrix w = new F16Matrix(mapped, rows, cols);
        float[] x = QuantizedKernelTest.randomVector(cols, 2);
        Parallel one = new Parallel(1);
        java.util.Map<String, Kernel> known = new java.util.LinkedHashMap<>();
        known.put("scalarScale", (m, xx, n, o, a, b) -> { F16Matrix.vectorScaling = false; m.matmul(xx, n, o, one); F16Matrix.vectorScaling = true; });
        known.put("vectorScale", (m, xx, n, o, a, b) -> { F16Matrix.vectorScaling = true; m.matmul(xx, n, o, one); });
        known.put("main", (m, xx, n, o, a, b) -> m.matmulRows(xx, n, o, a, b));
        known.put("conv", F16VariantBench::rowsConv);
        known.put("conv4", F16VariantBench::rowsConv4);
        String[] names = System.getProperty("variants", "scalarScale,vectorScale").split(",");
        Kernel[] ks = new Kernel[names.length];
        for (int i = 0; i < names.length; i++) ks[i] = java.util.Objects.requireNonNull(known.get(names[i]), names[i]);
        float[][] ys = new float[ks.length][rows];
        var mx = ManagementFactory.getThreadMXBean();
        double[][] all = new double[ks.length][rounds];
        int reps = (int) Math.max(5, 200_000_000L / w.byteSize());
        for (int round = -5; round < rounds; round++)
            for (int j = 0; j < ks.length; j++) {
                int v = (j + Math.max(round, 0)) % ks.length;
                long c0 = mx.getCurrentThreadCpuTime();
                for (int rep = 0; rep < reps; rep++) ks[v].run(w, x, 1, ys[v], 0, rows);
                double gbs = (double) reps * w.byteSize() / (mx.getCurrentThreadCpuTime() - c0);
                if (round >= 0) all[v][round] = gbs;
            }
        for (int v = 0; v < ks.length; v++) {
            boolean same = java.util.Arrays.equals(ys[v], ys[0]);
            double[] a = all[v].clone(); java.util.Arrays.sort(a);
            System.out.printf("%-12s best %.2f median %.2f GB per CPU-s (same bits as the first: %b)%n", names[v], a[a.length - 1], a[a.length / 2], same);
        }
    }
}
