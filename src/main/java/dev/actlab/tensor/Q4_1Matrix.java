package dev.actlab.tensor;

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q4_1: blocks of 32 weights, 20 bytes each: f16 scale d, f16 minimum m, then 16 bytes of
 * nibbles (low: weights 0..15, high: 16..31); weight = q * d + m.
 */
public final class Q4_1Matrix extends PackedMatrix {
    public Q4_1Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q4_1); }

    @Override public DType dtype() { return DType.Q4_1; }

    /*
     * d * sum(q x) + m * sum(x) per block, nibbles unpacked on int lanes (lo = q & 15 for weights
     * 0..15, hi = (q >> 4) & 15 for 16..31). dot and rows2 do the same arithmetic per output.
     */

    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        FloatVector acc = FloatVector.zero(FL), accMin = FloatVector.zero(FL);
        for (int b = 0; b < blocks; b++, o += 20, xOff += 32) {
            FloatVector s = FloatVector.zero(FL), xs = FloatVector.zero(FL);
            for (int k = 0; k < 16; k += L) {
                IntVector q = QuantLanes.toInt(QuantLanes.load(data, o + 4 + k));
                FloatVector xl = FloatVector.fromArray(FL, x, xOff + k), xh = FloatVector.fromArray(FL, x, xOff + 16 + k);
                s = ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(15).castShape(FL, 0))
                        .fma(xh, ((FloatVector) q.and(15).castShape(FL, 0)).fma(xl, s));
                xs = xs.add(xl).add(xh);
            }
            acc = s.fma(FloatVector.broadcast(FL, half(o)), acc);
            accMin = xs.fma(FloatVector.broadcast(FL, half(o + 2)), accMin);
        }
        return Lanes.sum(acc.add(accMin));
    }

    /** Decode (n < 4): two rows per pass over x, so each x vector is loaded once for two rows. */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        if (n >= 4) { super.matmul(x, n, out, par); return; }
        par.forRange(rows, 16, (from, to) -> {
            for (int t = 0; t < n; t++) {
                int r = from;
                for (; r + 2 <= to; r += 2) rows2(r, x, t * cols, out, t * rows + r);
                for (; r < to; r++) out[t * rows + r] = dot(r, x, t * cols);
            }
        });
    }

    /** out[outOff + i] = {@link #dot}(row + i, x, xOff) for i < 2, with the same arithmetic (see Q4_0Matrix.rows2 on why two). */
    private void rows2(int row, float[] x, int xOff, float[] out, int outOff) {
        long o0 = row * rowBytes, o1 = o0 + rowBytes;
        FloatVector a0 = FloatVector.zero(FL), a1 = a0, m0 = a0, m1 = a0;
        for (int b = 0; b < blocks; b++, o0 += 20, o1 += 20, xOff += 32) {
            FloatVector s0 = FloatVector.zero(FL), s1 = s0, xs = s0;
            for (int k = 0; k < 16; k += L) {
                FloatVector xl = FloatVector.fromArray(FL, x, xOff + k), xh = FloatVector.fromArray(FL, x, xOff + 16 + k);
                IntVector q = QuantLanes.toInt(QuantLanes.load(data, o0 + 4 + k));
                s0 = ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(15).castShape(FL, 0))
                        .fma(xh, ((FloatVector) q.and(15).castShape(FL, 0)).fma(xl, s0));
                q = QuantLanes.toInt(QuantLanes.load(data, o1 + 4 + k));
                s1 = ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(15).castShape(FL, 0))
                        .fma(xh, ((FloatVector) q.and(15).castShape(FL, 0)).fma(xl, s1));
                xs = xs.add(xl).add(xh);
            }
            a0 = s0.fma(FloatVector.broadcast(FL, half(o0)), a0);
            a1 = s1.fma(FloatVector.broadcast(FL, half(o1)), a1);
            m0 = xs.fma(FloatVector.broadcast(FL, half(o0 + 2)), m0);
            m1 = xs.fma(FloatVector.broadcast(FL, half(o1 + 2)), m1);
        }
        out[outOff] = Lanes.sum(a0.add(m0));
        out[outOff + 1] = Lanes.sum(a1.add(m1));
    }

    @Override public float dotScalar(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        float sum = 0;
        for (int b = 0; b < blocks; b++, o += 20) {
            float s = 0, xs = 0;
            int xb = xOff + b * 32;
            for (int j = 0; j < 16; j++) {
                int q = u8(o + 4 + j);
                s += (q & 0xF) * x[xb + j] + (q >> 4) * x[xb + 16 + j];
                xs += x[xb + j] + x[xb + 16 + j];
            }
            sum += s * half(o) + xs * half(o + 2);
        }
        return sum;
    }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        long o = row * rowBytes;
        for (int b = 0; b < blocks; b++, o += 20) {
            float d = half(o), m = half(o + 2);
            for (int j = 0; j < 16; j++) {
                int q = u8(o + 4 + j);
                dst[off + b * 32 + j] = (q & 0xF) * d + m;
                dst[off + b * 32 + 16 + j] = (q >> 4) * d + m;
            }
        }
    }

    /**
     * n floats (a multiple of 32) to n / 32 blocks, as ggml's quantize_row_q4_1_ref: d = (max - min)
     * / 15, m = min, q = min(15, (int8) ((x - min) / d + 0.5)), with the reciprocal of the unrounded d.
     */
    public static void quantize(float[] src, int off, int n, MemorySegment dst, long dstOff) {
        for (int b = 0; b < n / 32; b++, off += 32, dstOff += 20) {
            MinScaleHeader h = MinScaleHeader.write(src, off, 15, dst, dstOff);
            float min = h.min(), id = h.inverseScale();
            for (int j = 0; j < 16; j++) {
                int lo = Math.min(15, (byte) (int) ((src[off + j] - min) * id + 0.5f));
                int hi = Math.min(15, (byte) (int) ((src[off + 16 + j] - min) * id + 0.5f));
                dst.set(ValueLayout.JAVA_BYTE, dstOff + 4 + j, (byte) (lo | (hi << 4)));
            }
        }
    }
}
