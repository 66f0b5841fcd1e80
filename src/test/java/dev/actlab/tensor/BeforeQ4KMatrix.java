package dev.actlab.tensor;

// The kernel as it was before the quantized-kernel work: KernelDuel times it against the current one.

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q4_K: super-blocks of 256 weights, 144 bytes: f16 d, f16 dmin, 12 bytes of 6-bit
 * scales/mins ({@link KScales}), 128 bytes of nibbles. Each 64 weights use 32 bytes: low nibbles
 * are sub-block 2i, high nibbles sub-block 2i + 1; weight = d * scale * q - dmin * min.
 */
final class BeforeQ4KMatrix extends PackedMatrix {
    BeforeQ4KMatrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q4_K); }

    @Override public DType dtype() { return DType.Q4_K; }

    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        int[] sc = new int[8], mn = new int[8];
        FloatVector acc = FloatVector.zero(FL), accMin = FloatVector.zero(FL);
        for (int b = 0; b < blocks; b++, o += 144) {
            float d = half(o), dmin = half(o + 2);
            KScales.decode(data, o + 4, sc, mn);
            for (int i = 0; i < 4; i++) {
                long q = o + 16 + 32L * i;
                int xl = xOff + b * 256 + 64 * i, xh = xl + 32;
                FloatVector sl = FloatVector.zero(FL), sh = FloatVector.zero(FL), xsl = FloatVector.zero(FL), xsh = FloatVector.zero(FL);
                for (int k = 0; k < 32; k += L) {
                    ByteVector v = QuantLanes.load(data, q + k);
                    FloatVector a = FloatVector.fromArray(FL, x, xl + k), c = FloatVector.fromArray(FL, x, xh + k);
                    sl = QuantLanes.toFloat(v.and((byte) 0x0F)).fma(a, sl);
                    sh = QuantLanes.toFloat(v.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F)).fma(c, sh);
                    xsl = xsl.add(a);
                    xsh = xsh.add(c);
                }
                acc = sl.fma(FloatVector.broadcast(FL, d * sc[2 * i]), acc);
                acc = sh.fma(FloatVector.broadcast(FL, d * sc[2 * i + 1]), acc);
                accMin = xsl.fma(FloatVector.broadcast(FL, dmin * mn[2 * i]), accMin);
                accMin = xsh.fma(FloatVector.broadcast(FL, dmin * mn[2 * i + 1]), accMin);
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
        for (int b = 0; b < blocks; b++, o += 144) {
            float d = half(o), dmin = half(o + 2);
            KScales.decode(data, o + 4, sc, mn);
            for (int i = 0; i < 4; i++) {
                int y = off + b * 256 + 64 * i;
                for (int l = 0; l < 32; l++) {
                    int q = u8(o + 16 + 32L * i + l);
                    dst[y + l] = d * sc[2 * i] * (q & 0xF) - dmin * mn[2 * i];
                    dst[y + 32 + l] = d * sc[2 * i + 1] * (q >> 4) - dmin * mn[2 * i + 1];
                }
            }
        }
    }
}
