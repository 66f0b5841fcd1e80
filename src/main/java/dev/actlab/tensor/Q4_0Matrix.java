package dev.actlab.tensor;

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q4_0: blocks of 32 weights, 18 bytes each: f16 scale d, then 16 bytes whose low nibbles
 * are weights 0..15 and high nibbles weights 16..31; weight = (q - 8) * d.
 */
public final class Q4_0Matrix extends PackedMatrix implements TiledMatmul.Tiles {
    public Q4_0Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q4_0); }

    @Override public DType dtype() { return DType.Q4_0; }

    /*
     * The kernels unpack 16 bytes of a block as ints: lo = (q & 15) - 8 (weights 0..15) and
     * hi = ((q >> 4) & 15) - 8 (weights 16..31); s = sum lo x + sum hi x in float lanes, then one
     * multiply by the block's scale: acc += s d, with even blocks in one accumulator and odd ones
     * in another. dot, rows4 and dot4 do exactly this per output, so all paths give the same bits.
     */

    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        FloatVector acc0 = FloatVector.zero(FL), acc1 = acc0;
        for (int b = 0; b < blocks; b++, o += 18, xOff += 32) {
            FloatVector s = FloatVector.zero(FL);
            for (int k = 0; k < 16; k += L) {
                IntVector q = QuantLanes.toInt(QuantLanes.load(data, o + 2 + k));
                FloatVector lo = (FloatVector) q.and(15).sub(8).castShape(FL, 0);
                FloatVector hi = (FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(15).sub(8).castShape(FL, 0);
                s = hi.fma(FloatVector.fromArray(FL, x, xOff + 16 + k), lo.fma(FloatVector.fromArray(FL, x, xOff + k), s));
            }
            FloatVector d = FloatVector.broadcast(FL, half(o));
            if ((b & 1) == 0) acc0 = s.fma(d, acc0); else acc1 = s.fma(d, acc1);
        }
        return Lanes.sum(acc0.add(acc1));
    }

    /**
     * Decode (n < 4): two rows per pass over x, so each x vector is loaded once for two rows.
     * Prefill: four tokens per pass over a row, so each block is unpacked once for four tokens.
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
        for (int t = 0; t < n; t++) {
            int r = from;
            for (; r + 2 <= to; r += 2) rows2(r, x, t * cols, out, t * rows + r);
            for (; r < to; r++) out[t * rows + r] = dot(r, x, t * cols);
        }
    }

    /**
     * out[outOff + i] = {@link #dot}(row + i, x, xOff) for i < 2, with the same arithmetic. Two
     * rows, not four: four rows' unpacking makes the method too big for C2 to inline every vector
     * operation (NodeCountInliningCutoff), and a vector op left as a call allocates.
     */
    private void rows2(int row, float[] x, int xOff, float[] out, int outOff) {
        long o0 = row * rowBytes, o1 = o0 + rowBytes;
        FloatVector a0 = FloatVector.zero(FL), a1 = a0, b0 = a0, b1 = a0;
        for (int b = 0; b < blocks; b++, o0 += 18, o1 += 18, xOff += 32) {
            FloatVector s0 = FloatVector.zero(FL), s1 = s0;
            for (int k = 0; k < 16; k += L) {
                FloatVector xl = FloatVector.fromArray(FL, x, xOff + k), xh = FloatVector.fromArray(FL, x, xOff + 16 + k);
                IntVector q = QuantLanes.toInt(QuantLanes.load(data, o0 + 2 + k));
                s0 = ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(15).sub(8).castShape(FL, 0))
                        .fma(xh, ((FloatVector) q.and(15).sub(8).castShape(FL, 0)).fma(xl, s0));
                q = QuantLanes.toInt(QuantLanes.load(data, o1 + 2 + k));
                s1 = ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(15).sub(8).castShape(FL, 0))
                        .fma(xh, ((FloatVector) q.and(15).sub(8).castShape(FL, 0)).fma(xl, s1));
            }
            FloatVector d0 = FloatVector.broadcast(FL, half(o0)), d1 = FloatVector.broadcast(FL, half(o1));
            if ((b & 1) == 0) { a0 = s0.fma(d0, a0); a1 = s1.fma(d1, a1); }
            else { b0 = s0.fma(d0, b0); b1 = s1.fma(d1, b1); }
        }
        out[outOff] = Lanes.sum(a0.add(b0));
        out[outOff + 1] = Lanes.sum(a1.add(b1));
    }

    /** {@link #dot} for tokens t..t+3 with the same arithmetic per token, so the bits are the same. */
    private void dot4(int row, float[] x, int t, float[] out) {
        long o = row * rowBytes;
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(FL), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < blocks; b++, o += 18, x0 += 32, x1 += 32, x2 += 32, x3 += 32) {
            FloatVector s0 = FloatVector.zero(FL), s1 = s0, s2 = s0, s3 = s0;
            for (int k = 0; k < 16; k += L) {
                IntVector q = QuantLanes.toInt(QuantLanes.load(data, o + 2 + k));
                FloatVector lo = (FloatVector) q.and(15).sub(8).castShape(FL, 0);
                FloatVector hi = (FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(15).sub(8).castShape(FL, 0);
                s0 = hi.fma(FloatVector.fromArray(FL, x, x0 + 16 + k), lo.fma(FloatVector.fromArray(FL, x, x0 + k), s0));
                s1 = hi.fma(FloatVector.fromArray(FL, x, x1 + 16 + k), lo.fma(FloatVector.fromArray(FL, x, x1 + k), s1));
                s2 = hi.fma(FloatVector.fromArray(FL, x, x2 + 16 + k), lo.fma(FloatVector.fromArray(FL, x, x2 + k), s2));
                s3 = hi.fma(FloatVector.fromArray(FL, x, x3 + 16 + k), lo.fma(FloatVector.fromArray(FL, x, x3 + k), s3));
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
        for (int b = 0; b < blocks; b++, o += 18) {
            float s = 0;
            int xb = xOff + b * 32;
            for (int j = 0; j < 16; j++) {
                int q = u8(o + 2 + j);
                s += ((q & 0xF) - 8) * x[xb + j] + ((q >> 4) - 8) * x[xb + 16 + j];
            }
            sum += s * half(o);
        }
        return sum;
    }

    @Override public void dequantize(int row, int col, int len, float[] dst, int off) {
        long o = row * rowBytes + (col / 32) * 18L;
        for (int b = 0; b < len / 32; b++, o += 18, off += 32) {
            FloatVector d = FloatVector.broadcast(FL, half(o));
            for (int k = 0; k < 16; k += L) {
                IntVector q = QuantLanes.toInt(QuantLanes.load(data, o + 2 + k));
                ((FloatVector) q.and(15).sub(8).castShape(FL, 0)).mul(d).intoArray(dst, off + k);
                ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(15).sub(8).castShape(FL, 0)).mul(d).intoArray(dst, off + 16 + k);
            }
        }
    }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        long o = row * rowBytes;
        for (int b = 0; b < blocks; b++, o += 18) {
            float d = half(o);
            for (int j = 0; j < 16; j++) {
                int q = u8(o + 2 + j);
                dst[off + b * 32 + j] = ((q & 0xF) - 8) * d;
                dst[off + b * 32 + 16 + j] = ((q >> 4) - 8) * d;
            }
        }
    }

    /**
     * n floats (a multiple of 32) to n / 32 blocks, as ggml's quantize_row_q4_0_ref: the value of
     * largest magnitude maps to -8, d = max / -8, q = min(15, (int8) (x / d + 8.5)).
     */
    public static void quantize(float[] src, int off, int n, MemorySegment dst, long dstOff) {
        for (int b = 0; b < n / 32; b++, off += 32, dstOff += 18) {
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++) {
                float v = src[off + j];
                if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
            }
            float d = max / -8f;
            float id = d != 0 ? 1f / d : 0f;
            dst.set(I16, dstOff, Float.floatToFloat16(d));
            for (int j = 0; j < 16; j++) {
                int lo = Math.min(15, (byte) (int) (src[off + j] * id + 8.5f));
                int hi = Math.min(15, (byte) (int) (src[off + 16 + j] * id + 8.5f));
                dst.set(ValueLayout.JAVA_BYTE, dstOff + 2 + j, (byte) (lo | (hi << 4)));
            }
        }
    }
}
