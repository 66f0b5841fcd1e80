package dev.actlab.tensor;

import static dev.actlab.tensor.Bytes8.F;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * ggml Q4_0: blocks of 32 weights, 18 bytes each: f16 scale d, then 16 bytes whose low nibbles
 * are weights 0..15 and high nibbles weights 16..31; weight = (q - 8) * d.
 */
public final class Q4_0Matrix extends PackedMatrix {
    public Q4_0Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q4_0); }

    @Override public DType dtype() { return DType.Q4_0; }

    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, o += 18, xOff += 32) {
            ByteVector q0 = Bytes8.load(data, o + 2), q1 = Bytes8.load(data, o + 10);
            FloatVector s = Bytes8.toFloat(Bytes8.low(q0).sub((byte) 8)).mul(FloatVector.fromArray(F, x, xOff));
            s = Bytes8.toFloat(Bytes8.low(q1).sub((byte) 8)).fma(FloatVector.fromArray(F, x, xOff + 8), s);
            s = Bytes8.toFloat(Bytes8.high(q0).sub((byte) 8)).fma(FloatVector.fromArray(F, x, xOff + 16), s);
            s = Bytes8.toFloat(Bytes8.high(q1).sub((byte) 8)).fma(FloatVector.fromArray(F, x, xOff + 24), s);
            acc = s.fma(FloatVector.broadcast(F, half(o)), acc);
        }
        return Lanes.sum(acc);
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
