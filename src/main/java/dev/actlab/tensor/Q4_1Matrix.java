package dev.actlab.tensor;

import static dev.actlab.tensor.Bytes8.F;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * ggml Q4_1: blocks of 32 weights, 20 bytes each: f16 scale d, f16 minimum m, then 16 bytes of
 * nibbles (low: weights 0..15, high: 16..31); weight = q * d + m.
 */
public final class Q4_1Matrix extends PackedMatrix {
    public Q4_1Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q4_1); }

    @Override public DType dtype() { return DType.Q4_1; }

    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, o += 20, xOff += 32) {
            ByteVector q0 = Bytes8.load(data, o + 4), q1 = Bytes8.load(data, o + 12);
            FloatVector x0 = FloatVector.fromArray(F, x, xOff), x1 = FloatVector.fromArray(F, x, xOff + 8);
            FloatVector x2 = FloatVector.fromArray(F, x, xOff + 16), x3 = FloatVector.fromArray(F, x, xOff + 24);
            // d * sum(q x) + m * sum(x)
            FloatVector s = Bytes8.toFloat(Bytes8.low(q0)).mul(x0);
            s = Bytes8.toFloat(Bytes8.low(q1)).fma(x1, s);
            s = Bytes8.toFloat(Bytes8.high(q0)).fma(x2, s);
            s = Bytes8.toFloat(Bytes8.high(q1)).fma(x3, s);
            FloatVector xs = x0.add(x1).add(x2.add(x3));
            acc = s.fma(FloatVector.broadcast(F, half(o)), acc);
            acc = xs.fma(FloatVector.broadcast(F, half(o + 2)), acc);
        }
        return Lanes.sum(acc);
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
