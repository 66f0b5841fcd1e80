package dev.actlab.tensor;

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q5_1: blocks of 32 weights, 24 bytes each: f16 scale d, f16 minimum m, a 32-bit
 * little-endian word qh of fifth bits (bit j for weight j), then 16 bytes of low nibbles (low:
 * weights 0..15, high: 16..31); weight = q * d + m with q = nibble | fifth bit << 4.
 */
public final class Q5_1Matrix extends PackedMatrix {
    public Q5_1Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q5_1); }

    @Override public DType dtype() { return DType.Q5_1; }

    /*
     * d * sum(q x) + m * sum(x) per block, as Q4_1Matrix, with the fifth bits of Q5_0Matrix
     * (FifthBits: qh shifted by each lane's weight index).
     */

    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        FloatVector acc = FloatVector.zero(FL), accMin = FloatVector.zero(FL);
        for (int b = 0; b < blocks; b++, o += 24, xOff += 32) {
            int qh = data.get(Q5_0Matrix.U32, o + 4);
            FloatVector s = FloatVector.zero(FL), xs = FloatVector.zero(FL);
            for (int k = 0; k < 16; k += L) {
                IntVector q = QuantLanes.toInt(QuantLanes.load(data, o + 8 + k));
                FloatVector xl = FloatVector.fromArray(FL, x, xOff + k), xh = FloatVector.fromArray(FL, x, xOff + 16 + k);
                IntVector lo = q.and(15).or(FifthBits.of(qh, k));
                IntVector hi = q.lanewise(VectorOperators.ASHR, 4).and(15).or(FifthBits.of(qh, 16 + k));
                s = ((FloatVector) hi.castShape(FL, 0)).fma(xh, ((FloatVector) lo.castShape(FL, 0)).fma(xl, s));
                xs = xs.add(xl).add(xh);
            }
            acc = s.fma(FloatVector.broadcast(FL, half(o)), acc);
            accMin = xs.fma(FloatVector.broadcast(FL, half(o + 2)), accMin);
        }
        return Lanes.sum(acc.add(accMin));
    }

    @Override public float dotScalar(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        float sum = 0;
        for (int b = 0; b < blocks; b++, o += 24) {
            int qh = data.get(Q5_0Matrix.U32, o + 4);
            float s = 0, xs = 0;
            int xb = xOff + b * 32;
            for (int j = 0; j < 16; j++) {
                int q = u8(o + 8 + j);
                int lo = (q & 0xF) | ((qh >>> j) & 1) << 4, hi = (q >> 4) | ((qh >>> (j + 16)) & 1) << 4;
                s += lo * x[xb + j] + hi * x[xb + 16 + j];
                xs += x[xb + j] + x[xb + 16 + j];
            }
            sum += s * half(o) + xs * half(o + 2);
        }
        return sum;
    }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        long o = row * rowBytes;
        for (int b = 0; b < blocks; b++, o += 24) {
            float d = half(o), m = half(o + 2);
            int qh = data.get(Q5_0Matrix.U32, o + 4);
            for (int j = 0; j < 16; j++) {
                int q = u8(o + 8 + j);
                dst[off + b * 32 + j] = ((q & 0xF) | ((qh >>> j) & 1) << 4) * d + m;
                dst[off + b * 32 + 16 + j] = ((q >> 4) | ((qh >>> (j + 16)) & 1) << 4) * d + m;
            }
        }
    }

    /**
     * n floats (a multiple of 32) to n / 32 blocks, as ggml's quantize_row_q5_1_ref: d = (max - min)
     * / 31, m = min, q = (uint8) ((x - min) / d + 0.5), with the reciprocal of the unrounded d.
     */
    public static void quantize(float[] src, int off, int n, MemorySegment dst, long dstOff) {
        for (int b = 0; b < n / 32; b++, off += 32, dstOff += 24) {
            MinScaleHeader h = MinScaleHeader.write(src, off, 31, dst, dstOff);
            float min = h.min(), id = h.inverseScale();
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                int lo = (int) ((src[off + j] - min) * id + 0.5f) & 0xFF;
                int hi = (int) ((src[off + 16 + j] - min) * id + 0.5f) & 0xFF;
                dst.set(ValueLayout.JAVA_BYTE, dstOff + 8 + j, (byte) ((lo & 0xF) | (hi & 0xF) << 4));
                qh |= ((lo >> 4) & 1) << j | ((hi >> 4) & 1) << (j + 16);
            }
            dst.set(Q5_0Matrix.U32, dstOff + 4, qh);
        }
    }
}
