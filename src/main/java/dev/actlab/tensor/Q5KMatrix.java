package dev.actlab.tensor;

import static dev.actlab.tensor.QuantLanes.FL;
import static dev.actlab.tensor.QuantLanes.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml Q5_K: super-blocks of 256 weights, 176 bytes: f16 d, f16 dmin, 12 bytes of 6-bit
 * scales/mins ({@link KScales}), 32 bytes qh of fifth bits, 128 bytes of nibbles. Sub-block s
 * (32 weights) takes nibbles as Q4_K does and its fifth bit from bit s of qh[l];
 * weight = d * scale * q - dmin * min.
 */
public final class Q5KMatrix extends SuperBlockMatrix {
    public Q5KMatrix(MemorySegment data, int rows, int cols) { super(data, rows, cols, DType.Q5_K); }

    @Override public DType dtype() { return DType.Q5_K; }

    @Override public float dot(int row, float[] x, int xOff) {
        long o = row * rowBytes;
        int[] sc = new int[8], mn = new int[8];
        FloatVector acc = FloatVector.zero(FL), accMin = FloatVector.zero(FL);
        for (int b = 0; b < blocks; b++, o += 176) {
            float d = half(o), dmin = half(o + 2);
            KScales.decode(data, o + 4, sc, mn);
            for (int i = 0; i < 4; i++) {
                long q = o + 48 + 32L * i;
                int xl = xOff + b * 256 + 64 * i, xh = xl + 32;
                int bl = 1 << 2 * i, bh = 2 << 2 * i;   // fifth bits of sub-blocks 2i and 2i + 1 in qh[l]
                FloatVector sl = FloatVector.zero(FL), sh = FloatVector.zero(FL), xsl = FloatVector.zero(FL), xsh = FloatVector.zero(FL);
                for (int k = 0; k < 32; k += L) {
                    // on int lanes: nibble, plus 16 where the fifth bit is set (a masked add, no variable shift)
                    IntVector v = QuantLanes.toInt(QuantLanes.load(data, q + k)), h = QuantLanes.toInt(QuantLanes.load(data, o + 16 + k));
                    FloatVector a = FloatVector.fromArray(FL, x, xl + k), c = FloatVector.fromArray(FL, x, xh + k);
                    IntVector lo = v.and(15).add(16, h.and(bl).compare(VectorOperators.NE, 0));
                    IntVector hi = v.lanewise(VectorOperators.ASHR, 4).and(15).add(16, h.and(bh).compare(VectorOperators.NE, 0));
                    sl = ((FloatVector) lo.castShape(FL, 0)).fma(a, sl);
                    sh = ((FloatVector) hi.castShape(FL, 0)).fma(c, sh);
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

    /** Prefill of 16 tokens or more: a GEMM on dequantized tiles; fewer: each output is {@link #dot}. */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        if (n >= TiledMatmul.MIN_TOKENS && KernelChoice.tiledPrefill) { TiledMatmul.multiply(this, x, n, out, par); return; }
        super.matmul(x, n, out, par);
    }

    @Override void dequantizeBlocks(int row, int first, int count, float[] dst, int off) {
        long o = row * rowBytes + (long) first * 176;
        int[] sc = new int[8], mn = new int[8];
        for (int b = 0; b < count; b++, o += 176) {
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
