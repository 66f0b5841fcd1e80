package dev.actlab.tensor;

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q5_0: blocks of 32 weights, 22 bytes each: f16 scale d, a 32-bit little-endian word qh of
 * fifth bits (bit j for weight j), then 16 bytes of low nibbles (low: weights 0..15, high:
 * 16..31); weight = (q - 16) * d with q = nibble | fifth bit << 4.
 */
public final class Q5_0Matrix extends PackedMatrix {
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    public Q5_0Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q5_0); }

    @Override public DType dtype() { return DType.Q5_0; }

    /*
     * Per block, L weights at a time on int lanes: the fifth bits come from qh shifted right by the
     * lane's weight index (a variable shift), so lo = (q & 15 | bit k+i << 4) - 16 for weights
     * k..k+L-1 and hi the same with the high nibble and bits 16+k.. ; s = sum lo x + sum hi x in
     * float lanes, then acc += s d (all blocks in one accumulator).
     */

    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        FloatVector acc = FloatVector.zero(FL);
        for (int b = 0; b < blocks; b++, o += 22, xOff += 32) {
            int qh = data.get(U32, o + 2);
            FloatVector s = FloatVector.zero(FL);
            for (int k = 0; k < 16; k += L) {
                IntVector q = QuantLanes.toInt(QuantLanes.load(data, o + 6 + k));
                IntVector lo = q.and(15).or(FifthBits.of(qh, k)).sub(16);
                IntVector hi = q.lanewise(VectorOperators.ASHR, 4).and(15).or(FifthBits.of(qh, 16 + k)).sub(16);
                s = ((FloatVector) hi.castShape(FL, 0)).fma(FloatVector.fromArray(FL, x, xOff + 16 + k),
                        ((FloatVector) lo.castShape(FL, 0)).fma(FloatVector.fromArray(FL, x, xOff + k), s));
            }
            acc = s.fma(FloatVector.broadcast(FL, half(o)), acc);
        }
        return Lanes.sum(acc);
    }

    @Override public float dotScalar(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        float sum = 0;
        for (int b = 0; b < blocks; b++, o += 22) {
            int qh = data.get(U32, o + 2);
            float s = 0;
            int xb = xOff + b * 32;
            for (int j = 0; j < 16; j++) {
                int q = u8(o + 6 + j);
                int lo = ((q & 0xF) | ((qh >>> j) & 1) << 4) - 16, hi = ((q >> 4) | ((qh >>> (j + 16)) & 1) << 4) - 16;
                s += lo * x[xb + j] + hi * x[xb + 16 + j];
            }
            sum += s * half(o);
        }
        return sum;
    }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        long o = row * rowBytes;
        for (int b = 0; b < blocks; b++, o += 22) {
            float d = half(o);
            int qh = data.get(U32, o + 2);
            for (int j = 0; j < 16; j++) {
                int q = u8(o + 6 + j);
                dst[off + b * 32 + j] = (((q & 0xF) | ((qh >>> j) & 1) << 4) - 16) * d;
                dst[off + b * 32 + 16 + j] = (((q >> 4) | ((qh >>> (j + 16)) & 1) << 4) - 16) * d;
            }
        }
    }

    /**
     * n floats (a multiple of 32) to n / 32 blocks, as ggml's quantize_row_q5_0_ref: the value of
     * largest magnitude maps to -16, d = max / -16, q = min(31, (int8) (x / d + 16.5)).
     */
    public static void quantize(float[] src, int off, int n, MemorySegment dst, long dstOff) {
        for (int b = 0; b < n / 32; b++, off += 32, dstOff += 22) {
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++) {
                float v = src[off + j];
                if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
            }
            float d = max / -16f;
            float id = d != 0 ? 1f / d : 0f;
            dst.set(I16, dstOff, Float.floatToFloat16(d));
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                int lo = Math.min(31, (byte) (int) (src[off + j] * id + 16.5f));
                int hi = Math.min(31, (byte) (int) (src[off + 16 + j] * id + 16.5f));
                dst.set(ValueLayout.JAVA_BYTE, dstOff + 6 + j, (byte) ((lo & 0xF) | (hi & 0xF) << 4));
                qh |= ((lo >> 4) & 1) << j | ((hi >> 4) & 1) << (j + 16);
            }
            dst.set(U32, dstOff + 2, qh);
        }
    }
}
