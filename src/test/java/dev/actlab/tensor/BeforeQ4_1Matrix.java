package dev.actlab.tensor;

// The kernel as it was before the quantized-kernel work: KernelDuel times it against the current one.

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q4_1: blocks of 32 weights, 20 bytes each: f16 scale d, f16 minimum m, then 16 bytes of
 * nibbles (low: weights 0..15, high: 16..31); weight = q * d + m.
 */
final class BeforeQ4_1Matrix extends PackedMatrix {
    BeforeQ4_1Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q4_1); }

    @Override public DType dtype() { return DType.Q4_1; }

    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        FloatVector acc = FloatVector.zero(FL), accMin = FloatVector.zero(FL);
        for (int b = 0; b < blocks; b++, o += 20, xOff += 32) {
            // d * sum(q x) + m * sum(x)
            FloatVector s = FloatVector.zero(FL), xs = FloatVector.zero(FL);
            for (int k = 0; k < 16; k += L) {
                ByteVector q = QuantLanes.load(data, o + 4 + k);
                FloatVector xl = FloatVector.fromArray(FL, x, xOff + k), xh = FloatVector.fromArray(FL, x, xOff + 16 + k);
                s = QuantLanes.toFloat(q.and((byte) 0x0F)).fma(xl, s);
                s = QuantLanes.toFloat(q.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F)).fma(xh, s);
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
}
