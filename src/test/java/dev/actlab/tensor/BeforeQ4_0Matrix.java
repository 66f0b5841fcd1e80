package dev.actlab.tensor;

// The kernel as it was before the quantized-kernel work: KernelDuel times it against the current one.

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q4_0: blocks of 32 weights, 18 bytes each: f16 scale d, then 16 bytes whose low nibbles
 * are weights 0..15 and high nibbles weights 16..31; weight = (q - 8) * d.
 */
final class BeforeQ4_0Matrix extends PackedMatrix {
    BeforeQ4_0Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q4_0); }

    @Override public DType dtype() { return DType.Q4_0; }

    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        FloatVector acc = FloatVector.zero(FL), accOffset = FloatVector.zero(FL);
        for (int b = 0; b < blocks; b++, o += 18, xOff += 32) {
            // d * sum((q - 8) x) = d * sum(q x) - 8 d * sum(x): the offset is applied in float, once per block
            FloatVector s = FloatVector.zero(FL), xs = FloatVector.zero(FL);
            for (int k = 0; k < 16; k += L) {
                ByteVector q = QuantLanes.load(data, o + 2 + k);
                FloatVector xl = FloatVector.fromArray(FL, x, xOff + k), xh = FloatVector.fromArray(FL, x, xOff + 16 + k);
                s = QuantLanes.toFloat(q.and((byte) 0x0F)).fma(xl, s);
                s = QuantLanes.toFloat(q.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F)).fma(xh, s);
                xs = xs.add(xl).add(xh);
            }
            float d = half(o);
            acc = s.fma(FloatVector.broadcast(FL, d), acc);
            accOffset = xs.fma(FloatVector.broadcast(FL, -8 * d), accOffset);
        }
        return Lanes.sum(acc.add(accOffset));
    }

    /** Four tokens per pass over a row: each block is loaded and unpacked once, then used for all four. */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        if (n < 4) { super.matmul(x, n, out, par); return; }
        par.forRange(rows, 16, (from, to) -> {
            for (int r = from; r < to; r++) {
                int t = 0;
                for (; t + 4 <= n; t += 4) dot4(r, x, t, out);
                for (; t < n; t++) out[t * rows + r] = dot(r, x, t * cols);
            }
        });
    }

    /** {@link #dot} for tokens t..t+3 with the same arithmetic per token, so the bits are the same. */
    private void dot4(int row, float[] x, int t, float[] out) {
        long o = row * rowBytes;
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(FL), a1 = a0, a2 = a0, a3 = a0, m0 = a0, m1 = a0, m2 = a0, m3 = a0;
        for (int b = 0; b < blocks; b++, o += 18, x0 += 32, x1 += 32, x2 += 32, x3 += 32) {
            FloatVector s0 = FloatVector.zero(FL), s1 = s0, s2 = s0, s3 = s0, c0 = s0, c1 = s0, c2 = s0, c3 = s0;
            for (int k = 0; k < 16; k += L) {
                ByteVector q = QuantLanes.load(data, o + 2 + k);
                FloatVector lo = QuantLanes.toFloat(q.and((byte) 0x0F)), hi = QuantLanes.toFloat(q.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F));
                FloatVector l0 = FloatVector.fromArray(FL, x, x0 + k), h0 = FloatVector.fromArray(FL, x, x0 + 16 + k);
                s0 = hi.fma(h0, lo.fma(l0, s0)); c0 = c0.add(l0).add(h0);
                FloatVector l1 = FloatVector.fromArray(FL, x, x1 + k), h1 = FloatVector.fromArray(FL, x, x1 + 16 + k);
                s1 = hi.fma(h1, lo.fma(l1, s1)); c1 = c1.add(l1).add(h1);
                FloatVector l2 = FloatVector.fromArray(FL, x, x2 + k), h2 = FloatVector.fromArray(FL, x, x2 + 16 + k);
                s2 = hi.fma(h2, lo.fma(l2, s2)); c2 = c2.add(l2).add(h2);
                FloatVector l3 = FloatVector.fromArray(FL, x, x3 + k), h3 = FloatVector.fromArray(FL, x, x3 + 16 + k);
                s3 = hi.fma(h3, lo.fma(l3, s3)); c3 = c3.add(l3).add(h3);
            }
            float d = half(o);
            FloatVector dv = FloatVector.broadcast(FL, d), ov = FloatVector.broadcast(FL, -8 * d);
            a0 = s0.fma(dv, a0); a1 = s1.fma(dv, a1); a2 = s2.fma(dv, a2); a3 = s3.fma(dv, a3);
            m0 = c0.fma(ov, m0); m1 = c1.fma(ov, m1); m2 = c2.fma(ov, m2); m3 = c3.fma(ov, m3);
        }
        out[t * rows + row] = Lanes.sum(a0.add(m0));
        out[(t + 1) * rows + row] = Lanes.sum(a1.add(m1));
        out[(t + 2) * rows + row] = Lanes.sum(a2.add(m2));
        out[(t + 3) * rows + row] = Lanes.sum(a3.add(m3));
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
