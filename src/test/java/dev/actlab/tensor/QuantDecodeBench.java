package dev.actlab.tensor;

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Decode GEMV (one token) of Q4_0 / Q4_K / Q6_K on one thread: an older kernel copied here (Q4_0:
 * main 8b4d9a7, before the q4decode branch; Q4_K, Q6_K: main 88c0d8c, before the kquant branch's
 * scale passes) against the current matmulRows, in weight GB per CPU-second
 * (a descheduled thread does not count on a shared machine), alternating rounds; the matrix sits
 * in native memory, as a mapped file's do. Not a test. Run: java --add-modules jdk.incubator.vector
 * -cp target/classes:target/test-classes dev.actlab.tensor.QuantDecodeBench Q4_0|Q4_K|Q6_K [rows cols]
 */
public final class QuantDecodeBench {
    /** main 88c0d8c Q4KMatrix.scales (the scalar scale pass) */
    static float q4kScales(Q4KMatrix m, int row, float[] xs, float[] ds) {
        int[] sc = new int[8], mn = new int[8];
        long o = row * m.rowBytes;
        float min = 0;
        for (int b = 0; b < m.blocks; b++, o += 144) {
            float d = m.half(o);
            KScales.decode(m.data, o + 4, sc, mn);
            float mm = 0;
            for (int j = 0; j < 8; j++) { ds[8 * b + j] = d * sc[j]; mm += mn[j] * xs[8 * b + j]; }
            min += m.half(o + 2) * mm;
        }
        return min;
    }

    /** main 88c0d8c Q4KMatrix.rows */
    static void q4kRows(Q4KMatrix m, int from, int to, float[] x, int xOff, float[] xs, float[] out, int outOff) {
        float[] ds = new float[m.blocks * 8];
        for (int r = from; r < to; r++) {
            float min = q4kScales(m, r, xs, ds);
            long q = r * m.rowBytes + 16;
            FloatVector acc = FloatVector.zero(FL);
            for (int j = 0, xl = xOff; j < 8 * m.blocks; j += 2, q += j % 8 == 0 ? 48 : 32, xl += 64) {
                int xh = xl + 32;
                FloatVector sl = FloatVector.zero(FL), sh = sl;
                for (int k = 0; k < 32; k += 2 * L) {
                    IntVector v = QuantLanes.toIntUnsigned(QuantLanes.load(m.data, q + k));
                    sl = QuantLanes.toFloat(v.and(15)).fma(FloatVector.fromArray(FL, x, xl + k), sl);
                    sh = QuantLanes.toFloat(v.lanewise(VectorOperators.LSHR, 4)).fma(FloatVector.fromArray(FL, x, xh + k), sh);
                    v = QuantLanes.toIntUnsigned(QuantLanes.load(m.data, q + k + L));
                    sl = QuantLanes.toFloat(v.and(15)).fma(FloatVector.fromArray(FL, x, xl + k + L), sl);
                    sh = QuantLanes.toFloat(v.lanewise(VectorOperators.LSHR, 4)).fma(FloatVector.fromArray(FL, x, xh + k + L), sh);
                }
                acc = sl.fma(FloatVector.broadcast(FL, ds[j]), acc);
                acc = sh.fma(FloatVector.broadcast(FL, ds[j + 1]), acc);
            }
            out[outOff + r] = Lanes.sum(acc) - min;
        }
    }

    /** main 88c0d8c Q6KMatrix.rows (scales read as bytes inside the loop) */
    static void q6kRows(Q6KMatrix m, int from, int to, float[] x, int xOff, float[] xs, float[] out, int outOff) {
        for (int r = from; r < to; r++) {
            long o = r * m.rowBytes;
            FloatVector acc0 = FloatVector.zero(FL), acc1 = acc0;
            float off = 0;
            for (int b = 0; b < m.blocks; b++, o += 210) {
                float d = m.half(o + 208);
                float dot = 0;
                for (int g = 0; g < 16; g++) dot += m.i8(o + 192 + g) * xs[16 * b + g];
                off += d * dot;
                for (int h = 0; h < 2; h++) {
                    long ql = o + 64L * h, qh = o + 128 + 32L * h, sc = o + 192 + 8L * h;
                    int y = xOff + b * 256 + 128 * h;
                    for (int is = 0; is < 2; is++) {
                        // weights l, l+32, l+64, l+96 of this half for l in group is: 4 low bits from ql[l] /
                        // ql[l+32] (low, low, high, high nibble), 2 high bits from qh[l] bits 0-1, 2-3, 4-5, 6-7
                        FloatVector s1 = FloatVector.zero(FL), s2 = s1, s3 = s1, s4 = s1;
                        for (int l = 16 * is; l < 16 * is + 16; l += L) {
                            IntVector a = QuantLanes.toIntUnsigned(QuantLanes.load(m.data, ql + l));
                            IntVector c = QuantLanes.toIntUnsigned(QuantLanes.load(m.data, ql + 32 + l));
                            IntVector hb = QuantLanes.toIntUnsigned(QuantLanes.load(m.data, qh + l));
                            s1 = QuantLanes.toFloat(a.and(0x0F).or(hb.and(0x03).lanewise(VectorOperators.LSHL, 4))).fma(FloatVector.fromArray(FL, x, y + l), s1);
                            s2 = QuantLanes.toFloat(c.and(0x0F).or(hb.and(0x0C).lanewise(VectorOperators.LSHL, 2))).fma(FloatVector.fromArray(FL, x, y + 32 + l), s2);
                            s3 = QuantLanes.toFloat(a.lanewise(VectorOperators.LSHR, 4).or(hb.and(0x30))).fma(FloatVector.fromArray(FL, x, y + 64 + l), s3);
                            s4 = QuantLanes.toFloat(c.lanewise(VectorOperators.LSHR, 4).or(hb.lanewise(VectorOperators.LSHR, 2).and(0x30))).fma(FloatVector.fromArray(FL, x, y + 96 + l), s4);
                        }
                        acc0 = s1.fma(FloatVector.broadcast(FL, d * m.i8(sc + is)), acc0);
                        acc1 = s2.fma(FloatVector.broadcast(FL, d * m.i8(sc + is + 2)), acc1);
                        acc0 = s3.fma(FloatVector.broadcast(FL, d * m.i8(sc + is + 4)), acc0);
                        acc1 = s4.fma(FloatVector.broadcast(FL, d * m.i8(sc + is + 6)), acc1);
                    }
                }
            }
            out[outOff + r] = Lanes.sum(acc0.add(acc1)) - 32 * off;
        }
    }

    /** The kernel before this change (main, 8b4d9a7): sign-extended ints, -8 per nibble, 2 rows. */
    static void q40Rows(Q4_0Matrix m, float[] x, float[] out) {
        int r = 0;
        for (; r + 2 <= m.rows; r += 2) {
            long o0 = r * m.rowBytes, o1 = o0 + m.rowBytes;
            FloatVector a0 = FloatVector.zero(FL), a1 = a0, b0 = a0, b1 = a0;
            for (int b = 0, xOff = 0; b < m.blocks; b++, o0 += 18, o1 += 18, xOff += 32) {
                FloatVector s0 = FloatVector.zero(FL), s1 = s0;
                for (int k = 0; k < 16; k += L) {
                    FloatVector xl = FloatVector.fromArray(FL, x, xOff + k), xh = FloatVector.fromArray(FL, x, xOff + 16 + k);
                    IntVector q = QuantLanes.toInt(QuantLanes.load(m.data, o0 + 2 + k));
                    s0 = ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(15).sub(8).castShape(FL, 0))
                            .fma(xh, ((FloatVector) q.and(15).sub(8).castShape(FL, 0)).fma(xl, s0));
                    q = QuantLanes.toInt(QuantLanes.load(m.data, o1 + 2 + k));
                    s1 = ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(15).sub(8).castShape(FL, 0))
                            .fma(xh, ((FloatVector) q.and(15).sub(8).castShape(FL, 0)).fma(xl, s1));
                }
                FloatVector d0 = FloatVector.broadcast(FL, m.half(o0)), d1 = FloatVector.broadcast(FL, m.half(o1));
                if ((b & 1) == 0) { a0 = s0.fma(d0, a0); a1 = s1.fma(d1, a1); }
                else { b0 = s0.fma(d0, b0); b1 = s1.fma(d1, b1); }
            }
            out[r] = Lanes.sum(a0.add(b0));
            out[r + 1] = Lanes.sum(a1.add(b1));
        }
    }

    /** The matrix copied to native memory, as a mapped file's matrices are. */
    static WeightMatrix native_(WeightMatrix w) {
        var src = ((PackedMatrix) w).data;
        var dst = java.lang.foreign.Arena.global().allocate(src.byteSize(), 64);
        dst.copyFrom(src);
        return WeightMatrices.of(w.dtype(), dst, w.rows(), w.cols());
    }
    static void old(WeightMatrix w, float[] x, float[] y) {
        if (w instanceof Q4_0Matrix m) q40Rows(m, x, y);
        else if (w instanceof Q4KMatrix m) q4kRows(m, 0, m.rows, x, 0, QuantLanes.groupSums(x, 0, m.cols, 32), y, 0);
        else { Q6KMatrix m = (Q6KMatrix) w; q6kRows(m, 0, m.rows, x, 0, QuantLanes.groupSums(x, 0, m.cols, 16), y, 0); }
    }

    public static void main(String[] args) {
        DType t = DType.valueOf(args[0]);
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 8192, cols = args.length > 2 ? Integer.parseInt(args[2]) : 2048;
        WeightMatrix w = native_(QuantizedKernelTest.randomMatrix(t, rows, cols, 1));
        float[] x = QuantizedKernelTest.randomVector(cols, 2), y = new float[rows], ref = new float[rows];
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        long[] alloc = new long[2];
        int rounds = Integer.getInteger("rounds", 30);
        double[][] all = new double[2][rounds];
        for (int round = -5; round < rounds; round++)
            for (int v : round % 2 == 0 ? new int[]{0, 1} : new int[]{1, 0}) {
                long a0 = mx.getThreadAllocatedBytes(tid), c0 = mx.getCurrentThreadCpuTime();
                for (int rep = 0; rep < 5; rep++) { if (v == 0) old(w, x, ref); else w.matmulRows(x, 1, y, 0, rows); }
                double gbs = 5.0 * w.byteSize() / (mx.getCurrentThreadCpuTime() - c0);
                if (round >= 0) { all[v][round] = gbs; alloc[v] = (mx.getThreadAllocatedBytes(tid) - a0) / 5; }
            }
        double maxErr = 0;
        for (int r = 0; r < rows; r++) maxErr = Math.max(maxErr, Math.abs(y[r] - ref[r]) / (1e-3 + Math.abs(ref[r])));
        java.util.Arrays.sort(all[0]); java.util.Arrays.sort(all[1]);
        System.out.printf("%s [%d, %d] decode, 1 thread, GB per CPU-s: old best %.2f median %.2f; new best %.2f median %.2f; ratio best %.3f median %.3f (max rel diff %.1e; bytes allocated per GEMV: old %d, new %d)%n",
                t, rows, cols, all[0][rounds - 1], all[0][rounds / 2], all[1][rounds - 1], all[1][rounds / 2],
                all[1][rounds - 1] / all[0][rounds - 1], all[1][rounds / 2] / all[0][rounds / 2], maxErr, alloc[0], alloc[1]);
    }
}
