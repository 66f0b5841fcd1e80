package dev.actlab.tensor;

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.management.ManagementFactory;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Decode GEMV (one token) of Q4_0 / Q4_K / Q6_K on one thread: the kernels before the q4decode
 * branch (main 8b4d9a7, copied here) against the current matmulRows, in weight GB per CPU-second
 * (a descheduled thread does not count on a shared machine), alternating rounds; the matrix sits
 * in native memory, as a mapped file's do. Not a test. Run: java --add-modules jdk.incubator.vector
 * -cp target/classes:target/test-classes dev.actlab.tensor.QuantDecodeBench Q4_0|Q4_K|Q6_K [rows cols]
 */
public final class QuantDecodeBench {
    /** main 8b4d9a7 Q4KMatrix.dot */
    static float q4kDot(Q4KMatrix m, int row, float[] x, int xOff) {
        long o = row * m.rowBytes;
        int[] sc = new int[8], mn = new int[8];
        FloatVector acc = FloatVector.zero(FL), accMin = FloatVector.zero(FL);
        for (int b = 0; b < m.blocks; b++, o += 144) {
            float d = m.half(o), dmin = m.half(o + 2);
            KScales.decode(m.data, o + 4, sc, mn);
            for (int i = 0; i < 4; i++) {
                long q = o + 16 + 32L * i;
                int xl = xOff + b * 256 + 64 * i, xh = xl + 32;
                FloatVector sl = FloatVector.zero(FL), sh = FloatVector.zero(FL), xsl = FloatVector.zero(FL), xsh = FloatVector.zero(FL);
                for (int k = 0; k < 32; k += L) {
                    // nibbles unpacked on int lanes (x86 has no byte shifts)
                    IntVector v = QuantLanes.toInt(QuantLanes.load(m.data, q + k));
                    FloatVector a = FloatVector.fromArray(FL, x, xl + k), c = FloatVector.fromArray(FL, x, xh + k);
                    sl = ((FloatVector) v.and(15).castShape(FL, 0)).fma(a, sl);
                    sh = ((FloatVector) v.lanewise(VectorOperators.ASHR, 4).and(15).castShape(FL, 0)).fma(c, sh);
                    xsl = xsl.add(a);
                    xsh = xsh.add(c);
                }
                acc = sl.fma(FloatVector.broadcast(FL, d * sc[2 * i]), acc);
                acc = sh.fma(FloatVector.broadcast(FL, d * sc[2 * i + 1]), acc);
                accMin = xsl.fma(FloatVector.broadcast(FL, dmin * mn[2 * i]), accMin);
                accMin = xsh.fma(FloatVector.broadcast(FL, dmin * mn[2 * i + 1]), accMin);
            }
        }
        return Lanes.sum(acc.sub(accMin));
    }

    /** main 8b4d9a7 Q6KMatrix.dot */
    static float q6kDot(Q6KMatrix m, int row, float[] x, int xOff) {
        long o = row * m.rowBytes;
        FloatVector acc0 = FloatVector.zero(FL), acc1 = FloatVector.zero(FL);
        for (int b = 0; b < m.blocks; b++, o += 210) {
            float d = m.half(o + 208);
            for (int h = 0; h < 2; h++) {
                long ql = o + 64L * h, qh = o + 128 + 32L * h, sc = o + 192 + 8L * h;
                int y = xOff + b * 256 + 128 * h;
                for (int l = 0; l < 32; l += L) {
                    // weights l, l+32, l+64, l+96 of this half: 4 low bits from ql[l] / ql[l+32] (low, low,
                    // high, high nibble), 2 high bits from qh[l] bits 0-1, 2-3, 4-5, 6-7; assembled on
                    // int lanes with constant shifts only (x86 has no byte shifts)
                    IntVector a = QuantLanes.toInt(QuantLanes.load(m.data, ql + l)), c = QuantLanes.toInt(QuantLanes.load(m.data, ql + 32 + l));
                    IntVector hb = QuantLanes.toInt(QuantLanes.load(m.data, qh + l));
                    FloatVector w1 = (FloatVector) a.and(0x0F).or(hb.and(0x03).lanewise(VectorOperators.LSHL, 4)).sub(32).castShape(FL, 0);
                    FloatVector w2 = (FloatVector) c.and(0x0F).or(hb.and(0x0C).lanewise(VectorOperators.LSHL, 2)).sub(32).castShape(FL, 0);
                    FloatVector w3 = (FloatVector) a.lanewise(VectorOperators.ASHR, 4).and(0x0F).or(hb.and(0x30)).sub(32).castShape(FL, 0);
                    FloatVector w4 = (FloatVector) c.lanewise(VectorOperators.ASHR, 4).and(0x0F).or(hb.lanewise(VectorOperators.ASHR, 2).and(0x30)).sub(32).castShape(FL, 0);
                    int is = l / 16;
                    acc0 = w1.mul(FloatVector.fromArray(FL, x, y + l)).fma(FloatVector.broadcast(FL, d * m.i8(sc + is)), acc0);
                    acc1 = w2.mul(FloatVector.fromArray(FL, x, y + 32 + l)).fma(FloatVector.broadcast(FL, d * m.i8(sc + is + 2)), acc1);
                    acc0 = w3.mul(FloatVector.fromArray(FL, x, y + 64 + l)).fma(FloatVector.broadcast(FL, d * m.i8(sc + is + 4)), acc0);
                    acc1 = w4.mul(FloatVector.fromArray(FL, x, y + 96 + l)).fma(FloatVector.broadcast(FL, d * m.i8(sc + is + 6)), acc1);
                }
            }
        }
        return Lanes.sum(acc0.add(acc1));
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
        else if (w instanceof Q4KMatrix m) for (int r = 0; r < m.rows; r++) y[r] = q4kDot(m, r, x, 0);
        else { Q6KMatrix m = (Q6KMatrix) w; for (int r = 0; r < m.rows; r++) y[r] = q6kDot(m, r, x, 0); }
    }

    public static void main(String[] args) {
        DType t = DType.valueOf(args[0]);
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 8192, cols = args.length > 2 ? Integer.parseInt(args[2]) : 2048;
        WeightMatrix w = native_(QuantizedKernelTest.randomMatrix(t, rows, cols, 1));
        float[] x = QuantizedKernelTest.randomVector(cols, 2), y = new float[rows], ref = new float[rows];
        var mx = ManagementFactory.getThreadMXBean();
        int rounds = Integer.getInteger("rounds", 30);
        double[][] all = new double[2][rounds];
        for (int round = -5; round < rounds; round++)
            for (int v : round % 2 == 0 ? new int[]{0, 1} : new int[]{1, 0}) {
                long c0 = mx.getCurrentThreadCpuTime();
                for (int rep = 0; rep < 5; rep++) { if (v == 0) old(w, x, ref); else w.matmulRows(x, 1, y, 0, rows); }
                double gbs = 5.0 * w.byteSize() / (mx.getCurrentThreadCpuTime() - c0);
                if (round >= 0) all[v][round] = gbs;
            }
        double maxErr = 0;
        for (int r = 0; r < rows; r++) maxErr = Math.max(maxErr, Math.abs(y[r] - ref[r]) / (1e-3 + Math.abs(ref[r])));
        java.util.Arrays.sort(all[0]); java.util.Arrays.sort(all[1]);
        System.out.printf("%s [%d, %d] decode, 1 thread, GB per CPU-s: old best %.2f median %.2f; new best %.2f median %.2f; ratio best %.3f median %.3f (max rel diff %.1e)%n",
                t, rows, cols, all[0][rounds - 1], all[0][rounds / 2], all[1][rounds - 1], all[1][rounds / 2],
                all[1][rounds - 1] / all[0][rounds - 1], all[1][rounds / 2] / all[0][rounds / 2], maxErr);
    }
}
