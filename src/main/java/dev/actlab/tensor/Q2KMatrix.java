package dev.actlab.tensor;

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q2_K: super-blocks of 256 weights, 84 bytes: 16 scale bytes (sub-block s of 16 weights: low
 * nibble its scale, high nibble its min), 64 bytes of 2-bit quants, f16 d, f16 dmin. Each half of
 * 128 weights uses 32 quant bytes: weight 32j + k of the half (j < 4, k < 32) is bits 2j..2j+1 of
 * byte k; weight = d * scale * q - dmin * min.
 */
public final class Q2KMatrix extends PackedMatrix {
    public Q2KMatrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q2_K); }

    @Override public DType dtype() { return DType.Q2_K; }

    /*
     * Per sub-block s of 16 weights: sum q x and sum x in float lanes, then
     * acc += (sum q x) * (d * scale_s) and accMin += (sum x) * (dmin * min_s); dot = acc - accMin.
     */
    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        FloatVector acc = FloatVector.zero(FL), accMin = FloatVector.zero(FL);
        for (int b = 0; b < blocks; b++, o += 84) {
            float d = half(o + 80), dmin = half(o + 82);
            for (int h = 0; h < 2; h++) {
                long q = o + 16 + 32L * h;
                for (int j = 0; j < 4; j++) {
                    int shift = 2 * j, y = xOff + b * 256 + 128 * h + 32 * j;
                    for (int half16 = 0; half16 < 2; half16++) {
                        int sc = u8(o + 8 * h + 2 * j + half16);
                        FloatVector sqx = FloatVector.zero(FL), sx = FloatVector.zero(FL);
                        for (int k = 16 * half16; k < 16 * half16 + 16; k += L) {
                            IntVector v = QuantLanes.toInt(QuantLanes.load(data, q + k));
                            FloatVector xv = FloatVector.fromArray(FL, x, y + k);
                            sqx = ((FloatVector) v.lanewise(VectorOperators.ASHR, shift).and(3).castShape(FL, 0)).fma(xv, sqx);
                            sx = sx.add(xv);
                        }
                        acc = sqx.fma(FloatVector.broadcast(FL, d * (sc & 0xF)), acc);
                        accMin = sx.fma(FloatVector.broadcast(FL, dmin * (sc >> 4)), accMin);
                    }
                }
            }
        }
        return Lanes.sum(acc.sub(accMin));
    }

    @Override public float dotScalar(int row, float[] x, int xOff) {
        float[] w = new float[cols];
        dequantizeRow(row, w, 0);
        float sum = 0;
        for (int c = 0; c < cols; c++) sum += w[c] * x[xOff + c];
        return sum;
    }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        long o = row * rowBytes;
        for (int b = 0; b < blocks; b++, o += 84) {
            float d = half(o + 80), dmin = half(o + 82);
            for (int e = 0; e < 256; e++) {
                int h = e / 128, j = (e % 128) / 32, k = e % 32;
                int sc = u8(o + e / 16), q = (u8(o + 16 + 32 * h + k) >> (2 * j)) & 3;
                dst[off + b * 256 + e] = d * (sc & 0xF) * q - dmin * (sc >> 4);
            }
        }
    }
}
