package dev.actlab.tensor;

// The kernel as it was before the quantized-kernel work: KernelDuel times it against the current one.

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q5_K: super-blocks of 256 weights, 176 bytes: f16 d, f16 dmin, 12 bytes of 6-bit
 * scales/mins ({@link KScales}), 32 bytes qh of fifth bits, 128 bytes of nibbles. Sub-block s
 * (32 weights) takes nibbles as Q4_K does and its fifth bit from bit s of qh[l];
 * weight = d * scale * q - dmin * min.
 */
final class BeforeQ5KMatrix extends PackedMatrix {
    BeforeQ5KMatrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q5_K); }

    @Override public DType dtype() { return DType.Q5_K; }

    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        int[] sc = new int[8], mn = new int[8];
        FloatVector acc = FloatVector.zero(FL), accMin = FloatVector.zero(FL);
        for (int b = 0; b < blocks; b++, o += 176) {
            float d = half(o), dmin = half(o + 2);
            KScales.decode(data, o + 4, sc, mn);
            int xb = xOff + b * 256;
            for (int k = 0; k < 32; k += L) {
                // qh[k..k+L) holds the fifth bits of all 8 sub-blocks: bit s for sub-block s, worth 16
                ByteVector h = QuantLanes.load(data, o + 16 + k);
                for (int i = 0; i < 4; i++) {
                    ByteVector v = QuantLanes.load(data, o + 48 + 32L * i + k);
                    FloatVector a = FloatVector.fromArray(FL, x, xb + 64 * i + k), c = FloatVector.fromArray(FL, x, xb + 64 * i + 32 + k);
                    // bit value (as a signed byte: 0x80 is -128) times 16 / bit = 0 or 16, without a variable shift
                    byte bl = (byte) (1 << 2 * i), bh = (byte) (2 << 2 * i);
                    FloatVector lo = QuantLanes.toFloat(h.and(bl)).fma(FloatVector.broadcast(FL, 16f / bl), QuantLanes.toFloat(v.and((byte) 0x0F)));
                    FloatVector hi = QuantLanes.toFloat(h.and(bh)).fma(FloatVector.broadcast(FL, 16f / bh), QuantLanes.toFloat(v.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F)));
                    acc = lo.mul(a).fma(FloatVector.broadcast(FL, d * sc[2 * i]), acc);
                    acc = hi.mul(c).fma(FloatVector.broadcast(FL, d * sc[2 * i + 1]), acc);
                    accMin = a.fma(FloatVector.broadcast(FL, dmin * mn[2 * i]), accMin);
                    accMin = c.fma(FloatVector.broadcast(FL, dmin * mn[2 * i + 1]), accMin);
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
        int[] sc = new int[8], mn = new int[8];
        for (int b = 0; b < blocks; b++, o += 176) {
            float d = half(o), dmin = half(o + 2);
            KScales.decode(data, o + 4, sc, mn);
            for (int i = 0; i < 4; i++) {
                int y = off + b * 256 + 64 * i;
                for (int l = 0; l < 32; l++) {
                    int q = u8(o + 48 + 32L * i + l), h = u8(o + 16 + l);
                    int lo = (q & 0xF) + (((h >> (2 * i)) & 1) << 4);
                    int hi = (q >> 4) + (((h >> (2 * i + 1)) & 1) << 4);
                    dst[y + l] = d * sc[2 * i] * lo - dmin * mn[2 * i];
                    dst[y + 32 + l] = d * sc[2 * i + 1] * hi - dmin * mn[2 * i + 1];
                }
            }
        }
    }
}
