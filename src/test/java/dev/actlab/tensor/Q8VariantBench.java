package dev.actlab.tensor;

import static dev.actlab.tensor.QuantLanes.FL;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q8_0 decode GEMV variants tried on branch q8f16 (docs/engine-speed-log.md, "Q8_0 and F16 decode, fourth pass"), one thread, on a
 * matrix in a memory-mapped temp file (as a model's), alternating rounds, weight GB per CPU-second best / median,
 * with each variant's largest difference to the default kernel. Not a test. Run: java --add-modules
 * jdk.incubator.vector -cp target/classes:target/test-classes -Drounds=12 -Dvariants=main,int
 * dev.actlab.tensor.Q8VariantBench [rows cols]. Variants: main (the default kernel, through matmul), int (the
 * opt-in integer kernel, Q8_0Matrix.intDecode, through matmul: x rounded once per call), abs (absolute addresses
 * in one whole-address-space segment), abs2 (abs, two rows per pass), lin (offsets linear in the loop counter),
 * linSl (lin on a per-row slice), 16B (16-byte loads, high half by a long swap), bytes (one 32-byte load per
 * block, bytes taken from int lanes by shifts, x permuted). Use one process per set of variants that share no
 * load path: a variant that loads through another segment class makes the shared load sites polymorphic.
 */
public final class Q8VariantBench {
    static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;

    /** variant 1: absolute addresses in one whole-address-space segment. */
    static void rowsAbs(Q8_0Matrix m, float[] x, int n, float[] out, int from, int to) {
        long base = m.data.address();
        int blocks = m.blocks, rows = m.rows, cols = m.cols;
        for (int r = from; r < to; r++)
            for (int t = 0; t < n; t++) {
                long o = base + r * m.rowBytes;
                int xOff = t * cols, b = 0;
                FloatVector even = FloatVector.zero(FL), odd = even;
                for (; b + 2 <= blocks; b += 2, o += 68, xOff += 64) {
                    even = sumAbs(o, x, xOff).fma(FloatVector.broadcast(FL, Float.float16ToFloat(ALL.get(PackedMatrix.I16, o))), even);
                    odd = sumAbs(o + 34, x, xOff + 32).fma(FloatVector.broadcast(FL, Float.float16ToFloat(ALL.get(PackedMatrix.I16, o + 34))), odd);
                }
                if (b < blocks) even = sumAbs(o, x, xOff).fma(FloatVector.broadcast(FL, Float.float16ToFloat(ALL.get(PackedMatrix.I16, o))), even);
                out[t * rows + r] = Lanes.sum(even.add(odd));
            }
    }

    static ByteVector ld(long o) { return ByteVector.fromMemorySegment(QuantLanes.B, ALL, o, ByteOrder.LITTLE_ENDIAN); }

    static FloatVector sumAbs(long o, float[] x, int xOff) {
        FloatVector s = QuantLanes.toFloat(ld(o + 2)).mul(FloatVector.fromArray(FL, x, xOff));
        s = QuantLanes.toFloat(ld(o + 10)).fma(FloatVector.fromArray(FL, x, xOff + 8), s);
        s = QuantLanes.toFloat(ld(o + 18)).fma(FloatVector.fromArray(FL, x, xOff + 16), s);
        return QuantLanes.toFloat(ld(o + 26)).fma(FloatVector.fromArray(FL, x, xOff + 24), s);
    }

    static final VectorShuffle<Long> SWAP = VectorShuffle.fromValues(jdk.incubator.vector.LongVector.SPECIES_128, 1, 0);

    /** variant 2: two 16-byte loads per block, the high 8 bytes moved down by a long swap. */
    static void rows16(Q8_0Matrix m, float[] x, int n, float[] out, int from, int to) {
        int blocks = m.blocks, rows = m.rows, cols = m.cols;
        for (int r = from; r < to; r++)
            for (int t = 0; t < n; t++) {
                long o = r * m.rowBytes;
                int xOff = t * cols, b = 0;
                FloatVector even = FloatVector.zero(FL), odd = even;
                for (; b + 2 <= blocks; b += 2, o += 68, xOff += 64) {
                    even = sum16(m.data, o, x, xOff).fma(FloatVector.broadcast(FL, m.half(o)), even);
                    odd = sum16(m.data, o + 34, x, xOff + 32).fma(FloatVector.broadcast(FL, m.half(o + 34)), odd);
                }
                if (b < blocks) even = sum16(m.data, o, x, xOff).fma(FloatVector.broadcast(FL, m.half(o)), even);
                out[t * rows + r] = Lanes.sum(even.add(odd));
            }
    }

    static FloatVector sum16(MemorySegment d, long o, float[] x, int xOff) {
        ByteVector a = ByteVector.fromMemorySegment(B16, d, o + 2, ByteOrder.LITTLE_ENDIAN);
        ByteVector c = ByteVector.fromMemorySegment(B16, d, o + 18, ByteOrder.LITTLE_ENDIAN);
        FloatVector s = ((FloatVector) a.castShape(FL, 0)).mul(FloatVector.fromArray(FL, x, xOff));
        s = ((FloatVector) a.reinterpretAsLongs().rearrange(SWAP).reinterpretAsBytes().castShape(FL, 0)).fma(FloatVector.fromArray(FL, x, xOff + 8), s);
        s = ((FloatVector) c.castShape(FL, 0)).fma(FloatVector.fromArray(FL, x, xOff + 16), s);
        return ((FloatVector) c.reinterpretAsLongs().rearrange(SWAP).reinterpretAsBytes().castShape(FL, 0)).fma(FloatVector.fromArray(FL, x, xOff + 24), s);
    }

    /** variant 3: absolute addresses, two rows per pass (rows r and r + 1), x loaded once for both. */
    static void rowsAbs2(Q8_0Matrix m, float[] x, int n, float[] out, int from, int to) {
        long base = m.data.address(), rb = m.rowBytes;
        int blocks = m.blocks, rows = m.rows, cols = m.cols;
        int r = from;
        for (; r + 2 <= to; r += 2)
            for (int t = 0; t < n; t++) {
                long o = base + r * rb;
                int xOff = t * cols, b = 0;
                FloatVector e0 = FloatVector.zero(FL), o0 = e0, e1 = e0, o1 = e0;
                for (; b + 2 <= blocks; b += 2, o += 68, xOff += 64) {
                    FloatVector s0 = FloatVector.zero(FL), s1 = s0, u0 = s0, u1 = s0;
                    for (int k = 0; k < 32; k += 8) {
                        FloatVector xv = FloatVector.fromArray(FL, x, xOff + k);
                        s0 = k == 0 ? QuantLanes.toFloat(ld(o + 2 + k)).mul(xv) : QuantLanes.toFloat(ld(o + 2 + k)).fma(xv, s0);
                        s1 = k == 0 ? QuantLanes.toFloat(ld(o + rb + 2 + k)).mul(xv) : QuantLanes.toFloat(ld(o + rb + 2 + k)).fma(xv, s1);
                    }
                    e0 = s0.fma(FloatVector.broadcast(FL, Float.float16ToFloat(ALL.get(PackedMatrix.I16, o))), e0);
                    e1 = s1.fma(FloatVector.broadcast(FL, Float.float16ToFloat(ALL.get(PackedMatrix.I16, o + rb))), e1);
                    for (int k = 0; k < 32; k += 8) {
                        FloatVector xv = FloatVector.fromArray(FL, x, xOff + 32 + k);
                        u0 = k == 0 ? QuantLanes.toFloat(ld(o + 36 + k)).mul(xv) : QuantLanes.toFloat(ld(o + 36 + k)).fma(xv, u0);
                        u1 = k == 0 ? QuantLanes.toFloat(ld(o + rb + 36 + k)).mul(xv) : QuantLanes.toFloat(ld(o + rb + 36 + k)).fma(xv, u1);
                    }
                    o0 = u0.fma(FloatVector.broadcast(FL, Float.float16ToFloat(ALL.get(PackedMatrix.I16, o + 34))), o0);
                    o1 = u1.fma(FloatVector.broadcast(FL, Float.float16ToFloat(ALL.get(PackedMatrix.I16, o + rb + 34))), o1);
                }
                if (b < blocks) {
                    e0 = sumAbs(o, x, xOff).fma(FloatVector.broadcast(FL, Float.float16ToFloat(ALL.get(PackedMatrix.I16, o))), e0);
                    e1 = sumAbs(o + rb, x, xOff).fma(FloatVector.broadcast(FL, Float.float16ToFloat(ALL.get(PackedMatrix.I16, o + rb))), e1);
                }
                out[t * rows + r] = Lanes.sum(e0.add(o0));
                out[t * rows + r + 1] = Lanes.sum(e1.add(o1));
            }
        if (r < to) rowsAbs(m, x, n, out, r, to);
    }

    /** variant 4: offsets linear in the loop's int counter (for range-check elimination), the matrix's own segment. */
    static void rowsLin(Q8_0Matrix m, float[] x, int n, float[] out, int from, int to) {
        int blocks = m.blocks, rows = m.rows, cols = m.cols, pairs = blocks / 2;
        MemorySegment d = m.data;
        for (int r = from; r < to; r++)
            for (int t = 0; t < n; t++) {
                long o = r * m.rowBytes;
                int xOff = t * cols;
                FloatVector even = FloatVector.zero(FL), odd = even;
                for (int p = 0; p < pairs; p++) {
                    long q = o + 68L * p;
                    int xq = xOff + 64 * p;
                    even = sumSeg(d, q, x, xq).fma(FloatVector.broadcast(FL, Float.float16ToFloat(d.get(PackedMatrix.I16, q))), even);
                    odd = sumSeg(d, q + 34, x, xq + 32).fma(FloatVector.broadcast(FL, Float.float16ToFloat(d.get(PackedMatrix.I16, q + 34))), odd);
                }
                if (2 * pairs < blocks) {
                    long q = o + 68L * pairs;
                    even = sumSeg(d, q, x, xOff + 64 * pairs).fma(FloatVector.broadcast(FL, Float.float16ToFloat(d.get(PackedMatrix.I16, q))), even);
                }
                out[t * rows + r] = Lanes.sum(even.add(odd));
            }
    }

    static FloatVector sumSeg(MemorySegment d, long o, float[] x, int xOff) {
        FloatVector s = QuantLanes.toFloat(QuantLanes.load(d, o + 2)).mul(FloatVector.fromArray(FL, x, xOff));
        s = QuantLanes.toFloat(QuantLanes.load(d, o + 10)).fma(FloatVector.fromArray(FL, x, xOff + 8), s);
        s = QuantLanes.toFloat(QuantLanes.load(d, o + 18)).fma(FloatVector.fromArray(FL, x, xOff + 16), s);
        return QuantLanes.toFloat(QuantLanes.load(d, o + 26)).fma(FloatVector.fromArray(FL, x, xOff + 24), s);
    }

    /** variant 5: as 4, with a segment sliced to the row (offsets from 0). */
    static void rowsLinSlice(Q8_0Matrix m, float[] x, int n, float[] out, int from, int to) {
        int blocks = m.blocks, rows = m.rows, cols = m.cols, pairs = blocks / 2;
        for (int r = from; r < to; r++) {
            MemorySegment d = m.data.asSlice(r * m.rowBytes, m.rowBytes);
            for (int t = 0; t < n; t++) {
                int xOff = t * cols;
                FloatVector even = FloatVector.zero(FL), odd = even;
                for (int p = 0; p < pairs; p++) {
                    long q = 68L * p;
                    int xq = xOff + 64 * p;
                    even = sumSeg(d, q, x, xq).fma(FloatVector.broadcast(FL, Float.float16ToFloat(d.get(PackedMatrix.I16, q))), even);
                    odd = sumSeg(d, q + 34, x, xq + 32).fma(FloatVector.broadcast(FL, Float.float16ToFloat(d.get(PackedMatrix.I16, q + 34))), odd);
                }
                if (2 * pairs < blocks) {
                    long q = 68L * pairs;
                    even = sumSeg(d, q, x, xOff + 64 * pairs).fma(FloatVector.broadcast(FL, Float.float16ToFloat(d.get(PackedMatrix.I16, q))), even);
                }
                out[t * rows + r] = Lanes.sum(even.add(odd));
            }
        }
    }

    static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    static final VectorSpecies<Integer> I32 = jdk.incubator.vector.IntVector.SPECIES_256;

    /** x permuted within each block of 32: xp[32b + 8e + i] = x[32b + 4i + e]. */
    static float[] permute(float[] x, int off, int cols) {
        float[] xp = new float[cols];
        for (int b = 0; b < cols; b += 32)
            for (int e = 0; e < 4; e++)
                for (int i = 0; i < 8; i++) xp[b + 8 * e + i] = x[off + b + 4 * i + e];
        return xp;
    }

    /** variant: one 32-byte load per block, bytes extracted from int lanes by shifts (lane i: weights 4i..4i+3). */
    static void rowsBytes(Q8_0Matrix m, float[] x, int n, float[] out, int from, int to) {
        int blocks = m.blocks, rows = m.rows, cols = m.cols;
        for (int t = 0; t < n; t++) {
            float[] xp = permute(x, t * cols, cols);
            for (int r = from; r < to; r++) {
                long o = r * m.rowBytes;
                int xOff = 0, b = 0;
                FloatVector even = FloatVector.zero(FL), odd = even;
                for (; b + 2 <= blocks; b += 2, o += 68, xOff += 64) {
                    even = sumBytes(m.data, o, xp, xOff).fma(FloatVector.broadcast(FL, m.half(o)), even);
                    odd = sumBytes(m.data, o + 34, xp, xOff + 32).fma(FloatVector.broadcast(FL, m.half(o + 34)), odd);
                }
                if (b < blocks) even = sumBytes(m.data, o, xp, xOff).fma(FloatVector.broadcast(FL, m.half(o)), even);
                out[t * rows + r] = Lanes.sum(even.add(odd));
            }
        }
    }

    static FloatVector sumBytes(MemorySegment d, long o, float[] xp, int xOff) {
        jdk.incubator.vector.IntVector v = ByteVector.fromMemorySegment(B32, d, o + 2, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
        FloatVector s = ((FloatVector) v.lanewise(jdk.incubator.vector.VectorOperators.LSHL, 24).lanewise(jdk.incubator.vector.VectorOperators.ASHR, 24).convert(jdk.incubator.vector.VectorOperators.I2F, 0)).mul(FloatVector.fromArray(FL, xp, xOff));
        s = ((FloatVector) v.lanewise(jdk.incubator.vector.VectorOperators.LSHL, 16).lanewise(jdk.incubator.vector.VectorOperators.ASHR, 24).convert(jdk.incubator.vector.VectorOperators.I2F, 0)).fma(FloatVector.fromArray(FL, xp, xOff + 8), s);
        s = ((FloatVector) v.lanewise(jdk.incubator.vector.VectorOperators.LSHL, 8).lanewise(jdk.incubator.vector.VectorOperators.ASHR, 24).convert(jdk.incubator.vector.VectorOperators.I2F, 0)).fma(FloatVector.fromArray(FL, xp, xOff + 16), s);
        return ((FloatVector) v.lanewise(jdk.incubator.vector.VectorOperators.ASHR, 24).convert(jdk.incubator.vector.VectorOperators.I2F, 0)).fma(FloatVector.fromArray(FL, xp, xOff + 24), s);
    }

    interface Kernel { void run(Q8_0Matrix m, float[] x, int n, float[] out, int from, int to); }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 8192, cols = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
        int rounds = Integer.getInteger("rounds", 15);
        Q8_0Matrix heap = (Q8_0Matrix) QuantizedKernelTest.randomMatrix(DType.Q8_0, rows, cols, 1);
        Path f = Files.createTempFile("q8v", ".bin");
        f.toFile().deleteOnExit();
        Files.write(f, heap.data.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        MemorySegment mapped;
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) { mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, heap.byteSize(), Arena.global()); }
        Q8_0Matrix w = new Q8_0Matrix(mapped, rows, cols);
        float[] x = QuantizedKernelTest.randomVector(cols, 2);
        Parallel one = new Parallel(1);
        java.util.Map<String, Kernel> known = new java.util.LinkedHashMap<>();
        known.put("main", (m, xx, n, o, a, b) -> { Q8_0Matrix.intDecode = false; m.matmul(xx, n, o, one); });
        known.put("int", (m, xx, n, o, a, b) -> { Q8_0Matrix.intDecode = true; m.matmul(xx, n, o, one); Q8_0Matrix.intDecode = false; });
        known.put("abs", Q8VariantBench::rowsAbs);
        known.put("abs2", Q8VariantBench::rowsAbs2);
        known.put("lin", Q8VariantBench::rowsLin);
        known.put("linSl", Q8VariantBench::rowsLinSlice);
        known.put("16B", Q8VariantBench::rows16);
        known.put("bytes", Q8VariantBench::rowsBytes);
        String[] names = System.getProperty("variants", "main,int").split(",");
        if (!names[0].equals("main")) throw new IllegalArgumentException("the first variant must be main (the reference for the differences)");
        Kernel[] ks = new Kernel[names.length];
        for (int i = 0; i < names.length; i++) ks[i] = java.util.Objects.requireNonNull(known.get(names[i]), names[i]);
        float[][] ys = new float[ks.length][rows];
        var mx = ManagementFactory.getThreadMXBean();
        double[][] all = new double[ks.length][rounds];
        for (int round = -5; round < rounds; round++)
            for (int j = 0; j < ks.length; j++) {
                int v = (j + Math.max(round, 0)) % ks.length;
                long c0 = mx.getCurrentThreadCpuTime();
                for (int rep = 0; rep < 5; rep++) ks[v].run(w, x, 1, ys[v], 0, rows);
                double gbs = 5.0 * w.byteSize() / (mx.getCurrentThreadCpuTime() - c0);
                if (round >= 0) all[v][round] = gbs;
            }
        var amx = (com.sun.management.ThreadMXBean) mx;
        for (int v = 0; v < ks.length; v++) {
            long a0 = amx.getCurrentThreadAllocatedBytes();
            ks[v].run(w, x, 1, ys[v], 0, rows);
            System.out.printf("%s: %d bytes allocated per GEMV%n", names[v], amx.getCurrentThreadAllocatedBytes() - a0);
        }
        for (int v = 0; v < ks.length; v++) {
            boolean same = java.util.Arrays.equals(ys[v], ys[0]);
            double err = 0, nrm = 0; for (int i = 0; i < rows; i++) { err = Math.max(err, Math.abs(ys[v][i] - ys[0][i])); nrm = Math.max(nrm, Math.abs(ys[0][i])); }
            System.out.printf("  max |diff| / max |y| %.2e%n", err / nrm);
            double[] a = all[v].clone(); java.util.Arrays.sort(a);
            System.out.printf("%-6s best %.2f median %.2f GB per CPU-s (same bits as the first: %b)%n", names[v], a[a.length - 1], a[a.length / 2], same);
        }
    }
}
