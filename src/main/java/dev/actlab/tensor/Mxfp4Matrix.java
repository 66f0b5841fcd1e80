package dev.actlab.tensor;

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml MXFP4 (OCP microscaling FP4): blocks of 32 weights, 17 bytes each: one E8M0 byte e (a
 * power of two, 2^(e - 127)), then 16 bytes of 4-bit E2M1 codes (low nibbles: weights 0..15, high:
 * 16..31). As ggml, the codes are read as twice their E2M1 value, {0, 1, 2, 3, 4, 6, 8, 12} with a
 * sign bit 8, and the scale as half the power of two: weight = KVALUES[code] * 2^(e - 128).
 */
public final class Mxfp4Matrix extends PackedMatrix {
    /** Twice the E2M1 value of each 4-bit code (ggml's kvalues_mxfp4). */
    static final int[] KVALUES = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

    public Mxfp4Matrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.MXFP4); }

    @Override public DType dtype() { return DType.MXFP4; }

    /** 2^(e - 128): ggml's GGML_E8M0_TO_FP32_HALF (subnormal for e < 2). */
    static float halfScale(int e) {
        return Float.intBitsToFloat(e < 2 ? 0x00200000 << e : (e - 1) << 23);
    }

    /*
     * Per block, the codes are decoded on int lanes to the exact integers KVALUES[code] (E2M1Lanes),
     * s = sum lo x + sum hi x in float lanes, then acc += s * scale (all blocks in one accumulator).
     */

    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        FloatVector acc = FloatVector.zero(FL);
        for (int b = 0; b < blocks; b++, o += 17, xOff += 32) {
            FloatVector s = FloatVector.zero(FL);
            for (int k = 0; k < 16; k += L) {
                IntVector q = QuantLanes.toInt(QuantLanes.load(data, o + 1 + k));
                IntVector lo = E2M1Lanes.doubled(q.and(15)), hi = E2M1Lanes.doubled(q.lanewise(VectorOperators.ASHR, 4).and(15));
                s = ((FloatVector) hi.castShape(FL, 0)).fma(FloatVector.fromArray(FL, x, xOff + 16 + k),
                        ((FloatVector) lo.castShape(FL, 0)).fma(FloatVector.fromArray(FL, x, xOff + k), s));
            }
            acc = s.fma(FloatVector.broadcast(FL, halfScale(u8(o))), acc);
        }
        return Lanes.sum(acc);
    }

    @Override public float dotScalar(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        float sum = 0;
        for (int b = 0; b < blocks; b++, o += 17) {
            float s = 0;
            int xb = xOff + b * 32;
            for (int j = 0; j < 16; j++) {
                int q = u8(o + 1 + j);
                s += KVALUES[q & 0xF] * x[xb + j] + KVALUES[q >> 4] * x[xb + 16 + j];
            }
            sum += s * halfScale(u8(o));
        }
        return sum;
    }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        long o = row * rowBytes;
        for (int b = 0; b < blocks; b++, o += 17) {
            float d = halfScale(u8(o));
            for (int j = 0; j < 16; j++) {
                int q = u8(o + 1 + j);
                dst[off + b * 32 + j] = KVALUES[q & 0xF] * d;
                dst[off + b * 32 + 16 + j] = KVALUES[q >> 4] * d;
            }
        }
    }

    /**
     * n floats (a multiple of 32) to n / 32 blocks, as ggml's quantize_row_mxfp4_ref: with amax the
     * largest magnitude of the block, e = floor(log2 amax) - 2 + 127 (0 for an all-zero block), so
     * that amax falls in [4, 8) scale steps, near the largest code 6; each weight takes the code
     * whose value is nearest (the first of equals, in code order).
     */
    public static void quantize(float[] src, int off, int n, MemorySegment dst, long dstOff) {
        for (int b = 0; b < n / 32; b++, off += 32, dstOff += 17) {
            float amax = 0;
            for (int j = 0; j < 32; j++) if (amax < Math.abs(src[off + j])) amax = Math.abs(src[off + j]);
            int e = amax > 0 ? (int) (Math.floor(log2f(amax)) - 2 + 127) & 0xFF : 0;   // the low byte, as C's conversion on x86
            float d = halfScale(e);
            dst.set(ValueLayout.JAVA_BYTE, dstOff, (byte) e);
            for (int j = 0; j < 16; j++) {
                int lo = nearest(src[off + j], d), hi = nearest(src[off + 16 + j], d);
                dst.set(ValueLayout.JAVA_BYTE, dstOff + 1 + j, (byte) (lo | hi << 4));
            }
        }
    }

    /**
     * log2 rounded to float, as C's log2f: the floor above depends on it when amax lies just below a
     * power of two (log2f(2^k - ulp) can round up to k). Computed in double, then rounded once.
     */
    static float log2f(float x) { return (float) (Math.log(x) / Math.log(2)); }

    private static int nearest(float x, float d) {
        int best = 0;
        float bestErr = Math.abs(KVALUES[0] * d - x);
        for (int i = 1; i < 16; i++) {
            float err = Math.abs(KVALUES[i] * d - x);
            if (err < bestErr) { best = i; bestErr = err; }
        }
        return best;
    }
}
