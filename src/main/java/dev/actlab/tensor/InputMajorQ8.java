package dev.actlab.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q8_0 weight matrix W [rows, cols] (blocks of 32 inputs share a scale per row) stored input-major:
 * the int8 quants of column c are the contiguous run {@code q[c * rows .. c * rows + rows)}, the scales
 * of input block b are {@code d[b * rows .. b * rows + rows)} as float32. Same values as the Q8_0 file,
 * for a GEMV that reads only the kept inputs' columns. Memory: rows * cols bytes of quants plus
 * rows * cols / 8 bytes of scales (1.125 bytes per weight; the row-major Q8_0 reads 1.0625).
 */
public final class InputMajorQ8 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(S.vectorBitSize() / 4));
    private static final int TILE = 1024;
    private static final long MIN_CHUNK_WORK = 1 << 15;

    private final byte[] q;
    private final float[] d;
    private final int rows, cols;

    private InputMajorQ8(byte[] q, float[] d, int rows, int cols) { this.q = q; this.d = d; this.rows = rows; this.cols = cols; }

    /**
     * The input-major copy of a Q8_0 matrix, recovered from its dequantized rows: a block's scale is
     * max|w| / 127 (Q8_0 maps each block's largest magnitude to 127). Returns null when that does not
     * reproduce every weight exactly (a block quantized some other way): the caller then keeps the dense path.
     */
    public static InputMajorQ8 of(WeightMatrix m) {
        int rows = m.rows(), cols = m.cols();
        if (m.dtype() != DType.Q8_0) throw new IllegalArgumentException("InputMajorQ8 needs a Q8_0 matrix, got " + m.dtype());
        if (cols % 32 != 0 || (long) rows * cols > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("[" + rows + ", " + cols + "] does not fit");
        byte[] q = new byte[rows * cols];
        float[] d = new float[rows * (cols / 32)];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            m.dequantizeRow(r, row, 0);
            for (int b = 0; b < cols / 32; b++) {
                float amax = 0;
                for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(row[b * 32 + i]));
                float scale = amax / 127f;
                d[b * rows + r] = scale;
                for (int i = 0; i < 32; i++) {
                    float w = row[b * 32 + i];
                    int v = scale == 0 ? 0 : Math.round(w / scale);
                    if (v < -127 || v > 127 || v * scale != w) return null;
                    q[(b * 32 + i) * rows + r] = (byte) v;
                }
            }
        }
        return new InputMajorQ8(q, d, rows, cols);
    }

    public int rows() { return rows; }
    public int cols() { return cols; }
    public long byteSize() { return q.length + 4L * d.length; }

    /**
     * out[oOff + r] = sum over the input blocks of d[b, r] * (sum over the kept inputs c of block b, in the
     * order of idx, of q[c, r] * x[c]): idx must be increasing. Only the kept columns and the scales of
     * blocks with a kept input are read. Equals {@link #gemvScalar} bit for bit at any thread count.
     */
    public void gemv(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, Parallel par) {
        check(x, xOff, idx, nnz, out, oOff);
        int block = 4 * S.length();
        long work = Math.max(1L, (long) nnz);
        int grain = (int) Math.min(Math.max(block, rows), Math.max(block, (MIN_CHUNK_WORK / work + block - 1) / block * block));
        par.forRange(rows, grain, (from, to) -> range(x, xOff, idx, nnz, out, oOff, from, to));
    }

    private void range(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, int from, int to) {
        int L = S.length();
        float[] acc = new float[Math.min(TILE, to - from)];
        for (int t0 = from; t0 < to; t0 += TILE) {
            int t1 = Math.min(to, t0 + TILE), n = t1 - t0, vEnd = n / L * L;
            java.util.Arrays.fill(out, oOff + t0, oOff + t1, 0f);
            int j = 0;
            while (j < nnz) {
                int b = idx[j] >> 5, end = j;
                while (end < nnz && (idx[end] >> 5) == b) end++;
                java.util.Arrays.fill(acc, 0, n, 0f);
                // four kept columns per pass over the tile: acc is loaded and stored once per four kept columns,
                // not once per column; the chain of each output keeps the order of idx
                for (; j + 4 <= end; j += 4) {
                    int c0 = idx[j], c1 = idx[j + 1], c2 = idx[j + 2], c3 = idx[j + 3];
                    FloatVector x0 = FloatVector.broadcast(S, x[xOff + c0]), x1 = FloatVector.broadcast(S, x[xOff + c1]);
                    FloatVector x2 = FloatVector.broadcast(S, x[xOff + c2]), x3 = FloatVector.broadcast(S, x[xOff + c3]);
                    int b0 = c0 * rows + t0, b1 = c1 * rows + t0, b2 = c2 * rows + t0, b3 = c3 * rows + t0;
                    int r = 0;
                    for (; r < vEnd; r += L) {
                        FloatVector a = FloatVector.fromArray(S, acc, r);
                        a = ((FloatVector) ByteVector.fromArray(BS, q, b0 + r).convertShape(VectorOperators.B2F, S, 0)).fma(x0, a);
                        a = ((FloatVector) ByteVector.fromArray(BS, q, b1 + r).convertShape(VectorOperators.B2F, S, 0)).fma(x1, a);
                        a = ((FloatVector) ByteVector.fromArray(BS, q, b2 + r).convertShape(VectorOperators.B2F, S, 0)).fma(x2, a);
                        a = ((FloatVector) ByteVector.fromArray(BS, q, b3 + r).convertShape(VectorOperators.B2F, S, 0)).fma(x3, a);
                        a.intoArray(acc, r);
                    }
                    for (; r < n; r++) {
                        float a = acc[r];
                        a = Math.fma(q[b0 + r], x[xOff + c0], a);
                        a = Math.fma(q[b1 + r], x[xOff + c1], a);
                        a = Math.fma(q[b2 + r], x[xOff + c2], a);
                        a = Math.fma(q[b3 + r], x[xOff + c3], a);
                        acc[r] = a;
                    }
                }
                for (; j < end; j++) {
                    int c = idx[j], base = c * rows + t0;
                    float xc = x[xOff + c];
                    FloatVector xv = FloatVector.broadcast(S, xc);
                    int r = 0;
                    for (; r < vEnd; r += L) {
                        FloatVector w = (FloatVector) ByteVector.fromArray(BS, q, base + r).convertShape(VectorOperators.B2F, S, 0);
                        w.fma(xv, FloatVector.fromArray(S, acc, r)).intoArray(acc, r);
                    }
                    for (; r < n; r++) acc[r] = Math.fma(q[base + r], xc, acc[r]);
                }
                int sb = b * rows + t0, r = 0;
                for (; r < vEnd; r += L)
                    FloatVector.fromArray(S, d, sb + r).fma(FloatVector.fromArray(S, acc, r), FloatVector.fromArray(S, out, oOff + t0 + r)).intoArray(out, oOff + t0 + r);
                for (; r < n; r++) out[oOff + t0 + r] = Math.fma(d[sb + r], acc[r], out[oOff + t0 + r]);
            }
        }
    }

    /** Plain scalar reference of {@link #gemv}: the same fused multiply-adds in the same order. */
    public void gemvScalar(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff) {
        check(x, xOff, idx, nnz, out, oOff);
        for (int r = 0; r < rows; r++) {
            float y = 0;
            int j = 0;
            while (j < nnz) {
                int b = idx[j] >> 5;
                float a = 0;
                for (; j < nnz && (idx[j] >> 5) == b; j++) a = Math.fma(q[idx[j] * rows + r], x[xOff + idx[j]], a);
                y = Math.fma(d[b * rows + r], a, y);
            }
            out[oOff + r] = y;
        }
    }

    private void check(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff) {
        if (nnz < 0 || nnz > idx.length || nnz > cols) throw new IllegalArgumentException(nnz + " non-zero inputs of " + cols);
        if (xOff < 0 || xOff + cols > x.length) throw new IllegalArgumentException("x of " + x.length + " floats has no " + cols + " inputs at " + xOff);
        if (oOff < 0 || oOff + rows > out.length) throw new IllegalArgumentException("out of " + out.length + " floats has no " + rows + " outputs at " + oOff);
        for (int j = 0; j < nnz; j++) {
            if (idx[j] < 0 || idx[j] >= cols) throw new IllegalArgumentException("input index " + idx[j] + " at " + j + " is outside [0, " + cols + ")");
            if (j > 0 && idx[j] <= idx[j - 1]) throw new IllegalArgumentException("input indices must increase: " + idx[j - 1] + " then " + idx[j]);
        }
    }
}
