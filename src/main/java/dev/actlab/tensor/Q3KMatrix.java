package dev.actlab.tensor;

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q3_K: super-blocks of 256 weights, 110 bytes: 32 bytes hmask, 64 bytes of 2-bit quants, 12
 * bytes of 6-bit scales (one per 16 weights, stored + 32), f16 d. Weight 128h + 32j + k (h < 2,
 * j < 4, k < 32) takes bits 2j..2j+1 of quant byte 32h + k and its third bit from bit 4h + j of
 * hmask[k]; q = low bits - (third bit ? 0 : 4) in [-4, 3]; weight = d * (scale - 32) * q.
 */
public final class Q3KMatrix extends PackedMatrix {
    public Q3KMatrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q3_K); }

    @Override public DType dtype() { return DType.Q3_K; }

    /** The 16 signed sub-block scales of the block at o: low 4 bits from bytes 0..7, top 2 from bytes 8..11. */
    private void scales(long o, int[] sc) {
        for (int j = 0; j < 16; j++) {
            int low = j < 8 ? u8(o + 96 + j) & 0xF : u8(o + 96 + j - 8) >> 4;
            int high = (u8(o + 96 + 8 + j % 4) >> (2 * (j / 4))) & 3;
            sc[j] = (low | (high << 4)) - 32;
        }
    }

    /* Per sub-block s of 16 weights: sum q x in float lanes, then acc += (sum q x) * (d * scale_s). */
    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        int[] sc = new int[16];
        FloatVector acc0 = FloatVector.zero(FL), acc1 = FloatVector.zero(FL);
        for (int b = 0; b < blocks; b++, o += 110) {
            float d = half(o + 108);
            scales(o, sc);
            for (int h = 0; h < 2; h++) {
                long q = o + 32 + 32L * h;
                for (int j = 0; j < 4; j++) {
                    int shift = 2 * j, bit = 4 * h + j, y = xOff + b * 256 + 128 * h + 32 * j;
                    for (int half16 = 0; half16 < 2; half16++) {
                        FloatVector sqx = FloatVector.zero(FL);
                        for (int k = 16 * half16; k < 16 * half16 + 16; k += L) {
                            IntVector v = QuantLanes.toInt(QuantLanes.load(data, q + k));
                            IntVector hb = QuantLanes.toInt(QuantLanes.load(data, o + k));
                            // q = low | third << 2, minus 4: [-4, 3]
                            IntVector q3 = v.lanewise(VectorOperators.ASHR, shift).and(3)
                                    .or(hb.lanewise(VectorOperators.ASHR, bit).and(1).lanewise(VectorOperators.LSHL, 2)).sub(4);
                            sqx = ((FloatVector) q3.castShape(FL, 0)).fma(FloatVector.fromArray(FL, x, y + k), sqx);
                        }
                        FloatVector s = FloatVector.broadcast(FL, d * sc[8 * h + 2 * j + half16]);
                        if (half16 == 0) acc0 = sqx.fma(s, acc0); else acc1 = sqx.fma(s, acc1);
                    }
                }
            }
        }
        return Lanes.sum(acc0.add(acc1));
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
        int[] sc = new int[16];
        for (int b = 0; b < blocks; b++, o += 110) {
            float d = half(o + 108);
            scales(o, sc);
            for (int e = 0; e < 256; e++) {
                int h = e / 128, j = (e % 128) / 32, k = e % 32;
                int low = (u8(o + 32 + 32 * h + k) >> (2 * j)) & 3;
                int third = (u8(o + k) >> (4 * h + j)) & 1;
                dst[off + b * 256 + e] = d * sc[e / 16] * ((low | (third << 2)) - 4);
            }
        }
    }
}
