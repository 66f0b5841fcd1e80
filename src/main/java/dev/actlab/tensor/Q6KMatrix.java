package dev.actlab.tensor;

import static dev.actlab.tensor.Bytes8.F;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q6_K: super-blocks of 256 weights, 210 bytes: 128 bytes ql (low 4 bits), 64 bytes qh
 * (high 2 bits), 16 int8 scales (one per 16 weights), f16 d. Each half of 128 weights uses 64 ql,
 * 32 qh and 8 scales: for l in [0, 32) weights l, l+32, l+64, l+96 take ql[l] low, ql[l+32] low,
 * ql[l] high, ql[l+32] high and qh[l] bits 0-1, 2-3, 4-5, 6-7; weight = d * scale * (q - 32).
 */
public final class Q6KMatrix extends PackedMatrix {
    public Q6KMatrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q6_K); }

    @Override public DType dtype() { return DType.Q6_K; }

    private static FloatVector quant(ByteVector nibble, ByteVector qh, int shift) {
        ByteVector top = qh.lanewise(VectorOperators.LSHR, shift).and((byte) 3).lanewise(VectorOperators.LSHL, 4);
        return Bytes8.toFloat(nibble.or(top).sub((byte) 32));
    }

    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, o += 210) {
            float d = half(o + 208);
            for (int h = 0; h < 2; h++) {
                long ql = o + 64L * h, qh = o + 128 + 32L * h, sc = o + 192 + 8L * h;
                int y = xOff + b * 256 + 128 * h;
                for (int l = 0; l < 32; l += 8) {
                    int is = l / 16;
                    ByteVector a = Bytes8.load(data, ql + l), c = Bytes8.load(data, ql + 32 + l), hb = Bytes8.load(data, qh + l);
                    acc = quant(Bytes8.low(a), hb, 0).mul(FloatVector.fromArray(F, x, y + l)).fma(FloatVector.broadcast(F, d * i8(sc + is)), acc);
                    acc = quant(Bytes8.low(c), hb, 2).mul(FloatVector.fromArray(F, x, y + 32 + l)).fma(FloatVector.broadcast(F, d * i8(sc + is + 2)), acc);
                    acc = quant(Bytes8.high(a), hb, 4).mul(FloatVector.fromArray(F, x, y + 64 + l)).fma(FloatVector.broadcast(F, d * i8(sc + is + 4)), acc);
                    acc = quant(Bytes8.high(c), hb, 6).mul(FloatVector.fromArray(F, x, y + 96 + l)).fma(FloatVector.broadcast(F, d * i8(sc + is + 6)), acc);
                }
            }
        }
        return Lanes.sum(acc);
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
        for (int b = 0; b < blocks; b++, o += 210) {
            float d = half(o + 208);
            for (int h = 0; h < 2; h++) {
                long ql = o + 64L * h, qh = o + 128 + 32L * h, sc = o + 192 + 8L * h;
                int y = off + b * 256 + 128 * h;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16, a = u8(ql + l), c = u8(ql + 32 + l), hb = u8(qh + l);
                    dst[y + l] = d * i8(sc + is) * (((a & 0xF) | ((hb & 3) << 4)) - 32);
                    dst[y + 32 + l] = d * i8(sc + is + 2) * (((c & 0xF) | (((hb >> 2) & 3) << 4)) - 32);
                    dst[y + 64 + l] = d * i8(sc + is + 4) * (((a >> 4) | (((hb >> 4) & 3) << 4)) - 32);
                    dst[y + 96 + l] = d * i8(sc + is + 6) * (((c >> 4) | (((hb >> 6) & 3) << 4)) - 32);
                }
            }
        }
    }
}
