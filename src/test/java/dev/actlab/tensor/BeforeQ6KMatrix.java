package dev.actlab.tensor;

// The kernel as it was before the quantized-kernel work: KernelDuel times it against the current one.

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

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
final class BeforeQ6KMatrix extends PackedMatrix {
    BeforeQ6KMatrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q6_K); }

    @Override public DType dtype() { return DType.Q6_K; }

    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        FloatVector acc0 = FloatVector.zero(FL), acc1 = FloatVector.zero(FL);
        for (int b = 0; b < blocks; b++, o += 210) {
            float d = half(o + 208);
            for (int h = 0; h < 2; h++) {
                long ql = o + 64L * h, qh = o + 128 + 32L * h, sc = o + 192 + 8L * h;
                int y = xOff + b * 256 + 128 * h;
                for (int l = 0; l < 32; l += L) {
                    // weights l, l+32, l+64, l+96 of this half: 4 low bits from ql[l] / ql[l+32] (low, low,
                    // high, high nibble), 2 high bits from qh[l] bits 0-1, 2-3, 4-5, 6-7; only constant shifts
                    ByteVector a = QuantLanes.load(data, ql + l), c = QuantLanes.load(data, ql + 32 + l), hb = QuantLanes.load(data, qh + l);
                    ByteVector hb4 = hb.lanewise(VectorOperators.LSHR, 4);
                    FloatVector w1 = QuantLanes.toFloat(a.and((byte) 0x0F)).add(QuantLanes.toFloat(hb.and((byte) 0x03)).mul(16f));
                    FloatVector w2 = QuantLanes.toFloat(c.and((byte) 0x0F)).add(QuantLanes.toFloat(hb.and((byte) 0x0C)).mul(4f));
                    FloatVector w3 = QuantLanes.toFloat(a.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F)).add(QuantLanes.toFloat(hb4.and((byte) 0x03)).mul(16f));
                    FloatVector w4 = QuantLanes.toFloat(c.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F)).add(QuantLanes.toFloat(hb4.and((byte) 0x0C)).mul(4f));
                    int is = l / 16;
                    acc0 = w1.sub(32f).mul(FloatVector.fromArray(FL, x, y + l)).fma(FloatVector.broadcast(FL, d * i8(sc + is)), acc0);
                    acc1 = w2.sub(32f).mul(FloatVector.fromArray(FL, x, y + 32 + l)).fma(FloatVector.broadcast(FL, d * i8(sc + is + 2)), acc1);
                    acc0 = w3.sub(32f).mul(FloatVector.fromArray(FL, x, y + 64 + l)).fma(FloatVector.broadcast(FL, d * i8(sc + is + 4)), acc0);
                    acc1 = w4.sub(32f).mul(FloatVector.fromArray(FL, x, y + 96 + l)).fma(FloatVector.broadcast(FL, d * i8(sc + is + 6)), acc1);
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
