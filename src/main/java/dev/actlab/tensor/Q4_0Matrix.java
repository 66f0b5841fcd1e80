package dev.actlab.tensor;

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
public final class Q4_0Matrix extends PackedMatrix {
    public Q4_0Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q4_0); }

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
