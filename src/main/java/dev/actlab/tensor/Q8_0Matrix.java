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
public final class Q8_0Matrix extends PackedMatrix {
    public Q8_0Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q8_0); }

    @Override public DType dtype() { return DType.Q8_0; }

    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        FloatVector acc0 = FloatVector.zero(FL), acc1 = FloatVector.zero(FL);
        for (int b = 0; b < blocks; b++, o += 34, xOff += 32) {
            // sum q * x over the block, then one multiply by its scale
            FloatVector s = FloatVector.zero(FL);
            for (int k = 0; k < 32; k += L)
                s = QuantLanes.toFloat(QuantLanes.load(data, o + 2 + k)).fma(FloatVector.fromArray(FL, x, xOff + k), s);
            FloatVector d = FloatVector.broadcast(FL, half(o));
            if ((b & 1) == 0) acc0 = s.fma(d, acc0); else acc1 = s.fma(d, acc1);
        }
        return Lanes.sum(acc0.add(acc1));
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
