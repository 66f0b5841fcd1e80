package dev.actlab.tensor;

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * ggml Q8_0: blocks of 32 weights, 34 bytes each: f16 scale d, then 32 int8 quants q;
 * weight = q * d.
 */
public final class Q8_0Matrix extends PackedMatrix implements TiledMatmul.Tiles {
    public Q8_0Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q8_0); }

    @Override public DType dtype() { return DType.Q8_0; }

    /**
     * Even blocks sum into one accumulator, odd blocks into another; two blocks per step, so the
     * loop carries no branch on the block's parity (measured 1.3x on AVX2 over a branch per block).
     */
    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        FloatVector even = FloatVector.zero(FL), odd = even;
        int b = 0;
        for (; b + 2 <= blocks; b += 2, o += 68, xOff += 64) {
            even = blockSum(o, x, xOff).fma(scale(o), even);
            odd = blockSum(o + 34, x, xOff + 32).fma(scale(o + 34), odd);
        }
        if (b < blocks) even = blockSum(o, x, xOff).fma(scale(o), even);
        return Lanes.sum(even.add(odd));
    }

    /** Lanes of sum q * x over the block at o (before its scale), x from xOff. */
    private FloatVector blockSum(long o, float[] x, int xOff) {
        FloatVector s = QuantLanes.toFloat(QuantLanes.load(data, o + 2)).mul(FloatVector.fromArray(FL, x, xOff));
        for (int k = L; k < 32; k += L)
            s = QuantLanes.toFloat(QuantLanes.load(data, o + 2 + k)).fma(FloatVector.fromArray(FL, x, xOff + k), s);
        return s;
    }

    private FloatVector scale(long o) { return FloatVector.broadcast(FL, half(o)); }

    /**
     * Decode (n < 4): one row at a time through {@link #dot}, the tokens inner so the row is read
     * from memory once ({@link KernelChoice#q8RowDecode}; off: the four-row kernel it replaced).
     * Prefill: four tokens per pass over a row, so each block is loaded and widened once for four
     * tokens. Every output has the arithmetic of {@link #dot}, so the bits are the same.
     */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        if (n >= TiledMatmul.MIN_TOKENS && KernelChoice.tiledPrefill) { TiledMatmul.multiply(this, x, n, out, par); return; }
        par.forRange(rows, 16, (from, to) -> {
            if (n < 4) { matmulRows(x, n, out, from, to); return; }
            for (int r = from; r < to; r++) {
                int t = 0;
                for (; t + 4 <= n; t += 4) dot4(r, x, t, out);
                for (; t < n; t++) out[t * rows + r] = dot(r, x, t * cols);
            }
        });
    }

    @Override public void matmulRows(float[] x, int n, float[] out, int from, int to) {
        if (KernelChoice.q8RowDecode) { rowsByDot(x, n, out, from, to); return; }
        for (int t = 0; t < n; t++) {
            int r = from;
            for (; r + 4 <= to; r += 4) rows4(r, x, t * cols, out, t * rows + r);
            for (; r < to; r++) out[t * rows + r] = dot(r, x, t * cols);
        }
    }

    /**
     * out[t * rows + r] = {@link #dot}(r, x, t * cols) for rows [from, to), the tokens inner so a row
     * is read from memory once; dot's loop with each block's steps written out for AVX2 (L = 8).
     */
    private void rowsByDot(float[] x, int n, float[] out, int from, int to) {
        if (L != 8) {
            for (int r = from; r < to; r++)
                for (int t = 0; t < n; t++) out[t * rows + r] = dot(r, x, t * cols);
            return;
        }
        for (int r = from; r < to; r++)
            for (int t = 0; t < n; t++) {
                long o = r * rowBytes;
                int xOff = t * cols, b = 0;
                FloatVector even = FloatVector.zero(FL), odd = even;
                for (; b + 2 <= blocks; b += 2, o += 68, xOff += 64) {
                    even = blockSum8(o, x, xOff).fma(scale(o), even);
                    odd = blockSum8(o + 34, x, xOff + 32).fma(scale(o + 34), odd);
                }
                if (b < blocks) even = blockSum8(o, x, xOff).fma(scale(o), even);
                out[t * rows + r] = Lanes.sum(even.add(odd));
            }
    }

    /** {@link #blockSum} with its four steps written out (L = 8). */
    private FloatVector blockSum8(long o, float[] x, int xOff) {
        FloatVector s = QuantLanes.toFloat(QuantLanes.load(data, o + 2)).mul(FloatVector.fromArray(FL, x, xOff));
        s = QuantLanes.toFloat(QuantLanes.load(data, o + 10)).fma(FloatVector.fromArray(FL, x, xOff + 8), s);
        s = QuantLanes.toFloat(QuantLanes.load(data, o + 18)).fma(FloatVector.fromArray(FL, x, xOff + 16), s);
        return QuantLanes.toFloat(QuantLanes.load(data, o + 26)).fma(FloatVector.fromArray(FL, x, xOff + 24), s);
    }

    /** out[outOff + i] = {@link #dot}(row + i, x, xOff) for i < 4, with the same arithmetic. */
    private void rows4(int row, float[] x, int xOff, float[] out, int outOff) {
        long o0 = row * rowBytes, o1 = o0 + rowBytes, o2 = o1 + rowBytes, o3 = o2 + rowBytes;
        FloatVector a0 = FloatVector.zero(FL), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < blocks; b++, o0 += 34, o1 += 34, o2 += 34, o3 += 34, xOff += 32) {
            FloatVector s0 = FloatVector.zero(FL), s1 = s0, s2 = s0, s3 = s0;
            for (int k = 0; k < 32; k += L) {
                FloatVector xv = FloatVector.fromArray(FL, x, xOff + k);
                s0 = QuantLanes.toFloat(QuantLanes.load(data, o0 + 2 + k)).fma(xv, s0);
                s1 = QuantLanes.toFloat(QuantLanes.load(data, o1 + 2 + k)).fma(xv, s1);
                s2 = QuantLanes.toFloat(QuantLanes.load(data, o2 + 2 + k)).fma(xv, s2);
                s3 = QuantLanes.toFloat(QuantLanes.load(data, o3 + 2 + k)).fma(xv, s3);
            }
            FloatVector d0 = FloatVector.broadcast(FL, half(o0)), d1 = FloatVector.broadcast(FL, half(o1));
            FloatVector d2 = FloatVector.broadcast(FL, half(o2)), d3 = FloatVector.broadcast(FL, half(o3));
            // even blocks to accumulators a, odd ones to b, as in dot
            if ((b & 1) == 0) { a0 = s0.fma(d0, a0); a1 = s1.fma(d1, a1); a2 = s2.fma(d2, a2); a3 = s3.fma(d3, a3); }
            else { b0 = s0.fma(d0, b0); b1 = s1.fma(d1, b1); b2 = s2.fma(d2, b2); b3 = s3.fma(d3, b3); }
        }
        out[outOff] = Lanes.sum(a0.add(b0));
        out[outOff + 1] = Lanes.sum(a1.add(b1));
        out[outOff + 2] = Lanes.sum(a2.add(b2));
        out[outOff + 3] = Lanes.sum(a3.add(b3));
    }

    /** {@link #dot} for tokens t..t+3 with the same arithmetic per token, so the bits are the same. */
    private void dot4(int row, float[] x, int t, float[] out) {
        long o = row * rowBytes;
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(FL), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < blocks; b++, o += 34, x0 += 32, x1 += 32, x2 += 32, x3 += 32) {
            FloatVector s0 = FloatVector.zero(FL), s1 = s0, s2 = s0, s3 = s0;
            for (int k = 0; k < 32; k += L) {
                FloatVector w = QuantLanes.toFloat(QuantLanes.load(data, o + 2 + k));
                s0 = w.fma(FloatVector.fromArray(FL, x, x0 + k), s0);
                s1 = w.fma(FloatVector.fromArray(FL, x, x1 + k), s1);
                s2 = w.fma(FloatVector.fromArray(FL, x, x2 + k), s2);
                s3 = w.fma(FloatVector.fromArray(FL, x, x3 + k), s3);
            }
            FloatVector d = FloatVector.broadcast(FL, half(o));
            if ((b & 1) == 0) { a0 = s0.fma(d, a0); a1 = s1.fma(d, a1); a2 = s2.fma(d, a2); a3 = s3.fma(d, a3); }
            else { b0 = s0.fma(d, b0); b1 = s1.fma(d, b1); b2 = s2.fma(d, b2); b3 = s3.fma(d, b3); }
        }
        out[t * rows + row] = Lanes.sum(a0.add(b0));
        out[(t + 1) * rows + row] = Lanes.sum(a1.add(b1));
        out[(t + 2) * rows + row] = Lanes.sum(a2.add(b2));
        out[(t + 3) * rows + row] = Lanes.sum(a3.add(b3));
    }

    @Override public float dotScalar(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        float sum = 0;
        for (int b = 0; b < blocks; b++, o += 34) {
            float s = 0;
            for (int j = 0; j < 32; j++) s += i8(o + 2 + j) * x[xOff + b * 32 + j];
            sum += s * half(o);
        }
        return sum;
    }

    @Override public void dequantize(int row, int col, int len, float[] dst, int off) {
        long o = row * rowBytes + (col / 32) * 34L;
        for (int b = 0; b < len / 32; b++, o += 34, off += 32) {
            FloatVector d = FloatVector.broadcast(FL, half(o));
            for (int k = 0; k < 32; k += L) QuantLanes.toFloat(QuantLanes.load(data, o + 2 + k)).mul(d).intoArray(dst, off + k);
        }
    }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        long o = row * rowBytes;
        for (int b = 0; b < blocks; b++, o += 34) {
            float d = half(o);
            for (int j = 0; j < 32; j++) dst[off + b * 32 + j] = i8(o + 2 + j) * d;
        }
    }

    /**
     * n floats (a multiple of 32) to n / 32 blocks, as ggml's quantize_row_q8_0_ref:
     * d = max|x| / 127, q = roundf(x / d) (half away from zero).
     */
    public static void quantize(float[] src, int off, int n, MemorySegment dst, long dstOff) {
        for (int b = 0; b < n / 32; b++, off += 32, dstOff += 34) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(src[off + j]));
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            dst.set(I16, dstOff, Float.floatToFloat16(d));
            for (int j = 0; j < 32; j++) dst.set(ValueLayout.JAVA_BYTE, dstOff + 2 + j, (byte) roundHalfAway(src[off + j] * id));
        }
    }

    /** C's roundf. */
    static int roundHalfAway(float v) {
        double r = Math.floor(Math.abs((double) v) + 0.5);
        return (int) (v < 0 ? -r : r);
    }
}
