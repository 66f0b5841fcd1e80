package dev.actlab.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q4_0 weight matrix W [rows, cols] (w = d * (q - 8), q a 4-bit code, d one half-precision scale per
 * row and block of 32 inputs) stored input-major, still 4 bits a weight: the codes of column c fill
 * {@code stride} bytes at {@code q[c * stride]}, in chunks of 2L rows (L = float lanes) whose byte i holds
 * row i in its low nibble and row L + i in its high nibble (so one L-byte load unpacks to two float
 * vectors); the rows are padded to whole chunks. The scales of input block b are
 * {@code d[b * rows .. b * rows + rows)} as float32. Memory: 0.5 bytes a weight plus 4 bytes per 32
 * (0.625 bytes a weight; the Q4_0 file has 0.5625). Same values as the file.
 */
public final class InputMajorQ4 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(S.vectorBitSize() / 4));
    private static final int L = S.length(), CHUNK = 2 * L;
    private static final int TILE = 1024;
    private static final long MIN_CHUNK_WORK = 1 << 15;

    private final byte[] q;
    private final float[] d;
    private final int rows, cols, stride;

    private InputMajorQ4(byte[] q, float[] d, int rows, int cols, int stride) { this.q = q; this.d = d; this.rows = rows; this.cols = cols; this.stride = stride; }

    /** The input-major copy of a Q4_0 matrix, read from its blocks. */
    public static InputMajorQ4 of(WeightMatrix m) {
        if (!(m instanceof Q4_0Matrix p)) throw new IllegalArgumentException("InputMajorQ4 needs a Q4_0 matrix, got " + m.dtype());
        int rows = m.rows(), cols = m.cols();
        int stride = (rows + CHUNK - 1) / CHUNK * CHUNK / 2;
        if ((long) stride * cols > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("[" + rows + ", " + cols + "] does not fit one array");
        byte[] q = new byte[stride * cols];
        float[] d = new float[rows * (cols / 32)];
        for (int r = 0; r < rows; r++) {
            long o = r * p.rowBytes;
            for (int b = 0; b < cols / 32; b++, o += 18) {
                d[b * rows + r] = p.half(o);
                for (int j = 0; j < 16; j++) {
                    int v = p.u8(o + 2 + j);
                    put(q, stride, b * 32 + j, r, v & 15);
                    put(q, stride, b * 32 + 16 + j, r, v >> 4);
                }
            }
        }
        return new InputMajorQ4(q, d, rows, cols, stride);
    }

    private static int at(int stride, int c, int r) { return c * stride + r / CHUNK * L + r % CHUNK % L; }

    private static void put(byte[] q, int stride, int c, int r, int code) {
        int i = at(stride, c, r);
        q[i] = (byte) (r % CHUNK < L ? (q[i] & 0xF0) | code : (q[i] & 0x0F) | code << 4);
    }

    /** q - 8 of W[r, c]. */
    private int code(int c, int r) {
        int v = q[at(stride, c, r)];
        return (r % CHUNK < L ? v & 15 : (v >> 4) & 15) - 8;
    }

    public int rows() { return rows; }
    public int cols() { return cols; }
    public long byteSize() { return q.length + 4L * d.length; }

    /**
     * out[oOff + r] = sum over the input blocks of d[b, r] * (sum over the kept inputs c of block b, in the
     * order of idx, of (q[c, r] - 8) * x[c]): idx must be increasing. Only the kept columns and the scales
     * of blocks with a kept input are read. Equals {@link #gemvScalar} bit for bit at any thread count.
     */
    public void gemv(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, Parallel par) {
        check(x, xOff, idx, nnz, out, oOff);
        int block = 4 * L;   // a multiple of CHUNK: every range but the last starts on a chunk
        long work = Math.max(1L, (long) nnz);
        int grain = (int) Math.min(Math.max(block, rows), Math.max(block, (MIN_CHUNK_WORK / work + block - 1) / block * block));
        par.forRange(rows, grain, (from, to) -> range(x, xOff, idx, nnz, out, oOff, from, to));
    }

    private void range(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, int from, int to) {
        float[] acc = new float[Math.min(TILE, to - from)];
        for (int t0 = from; t0 < to; t0 += TILE) {
            int t1 = Math.min(to, t0 + TILE), n = t1 - t0;
            int vN = t0 % CHUNK == 0 ? n / CHUNK * CHUNK : 0, sEnd = n / L * L;
            java.util.Arrays.fill(out, oOff + t0, oOff + t1, 0f);
            int j = 0;
            while (j < nnz) {
                int b = idx[j] >> 5, end = j;
                while (end < nnz && (idx[end] >> 5) == b) end++;
                java.util.Arrays.fill(acc, 0, n, 0f);
                for (; j + 4 <= end; j += 4) {   // four kept columns per pass over the tile: acc loaded and stored once
                    int c0 = idx[j], c1 = idx[j + 1], c2 = idx[j + 2], c3 = idx[j + 3];
                    FloatVector x0 = FloatVector.broadcast(S, x[xOff + c0]), x1 = FloatVector.broadcast(S, x[xOff + c1]);
                    FloatVector x2 = FloatVector.broadcast(S, x[xOff + c2]), x3 = FloatVector.broadcast(S, x[xOff + c3]);
                    int q0 = c0 * stride + t0 / 2, q1 = c1 * stride + t0 / 2, q2 = c2 * stride + t0 / 2, q3 = c3 * stride + t0 / 2;
                    for (int r = 0; r < vN; r += CHUNK) {
                        ByteVector v0 = ByteVector.fromArray(BS, q, q0 + r / 2), v1 = ByteVector.fromArray(BS, q, q1 + r / 2);
                        ByteVector v2 = ByteVector.fromArray(BS, q, q2 + r / 2), v3 = ByteVector.fromArray(BS, q, q3 + r / 2);
                        // the unpacking of low() and high(), written out: a helper returning a vector may not be inlined (and would then allocate)
                        FloatVector lv0 = (FloatVector) v0.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, S, 0);
                        FloatVector hv0 = (FloatVector) v0.lanewise(VectorOperators.LSHR, 4).and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, S, 0);
                        FloatVector lv1 = (FloatVector) v1.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, S, 0);
                        FloatVector hv1 = (FloatVector) v1.lanewise(VectorOperators.LSHR, 4).and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, S, 0);
                        FloatVector lv2 = (FloatVector) v2.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, S, 0);
                        FloatVector hv2 = (FloatVector) v2.lanewise(VectorOperators.LSHR, 4).and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, S, 0);
                        FloatVector lv3 = (FloatVector) v3.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, S, 0);
                        FloatVector hv3 = (FloatVector) v3.lanewise(VectorOperators.LSHR, 4).and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, S, 0);
                        FloatVector lo = FloatVector.fromArray(S, acc, r), hi = FloatVector.fromArray(S, acc, r + L);
                        lo = lv0.fma(x0, lo); hi = hv0.fma(x0, hi);
                        lo = lv1.fma(x1, lo); hi = hv1.fma(x1, hi);
                        lo = lv2.fma(x2, lo); hi = hv2.fma(x2, hi);
                        lo = lv3.fma(x3, lo); hi = hv3.fma(x3, hi);
                        lo.intoArray(acc, r);
                        hi.intoArray(acc, r + L);
                    }
                    for (int r = vN; r < n; r++) {
                        float a = acc[r];
                        a = Math.fma(code(c0, t0 + r), x[xOff + c0], a);
                        a = Math.fma(code(c1, t0 + r), x[xOff + c1], a);
                        a = Math.fma(code(c2, t0 + r), x[xOff + c2], a);
                        a = Math.fma(code(c3, t0 + r), x[xOff + c3], a);
                        acc[r] = a;
                    }
                }
                for (; j < end; j++) {
                    int c = idx[j], qc = c * stride + t0 / 2;
                    FloatVector xv = FloatVector.broadcast(S, x[xOff + c]);
                    for (int r = 0; r < vN; r += CHUNK) {
                        ByteVector v = ByteVector.fromArray(BS, q, qc + r / 2);
                        low(v).fma(xv, FloatVector.fromArray(S, acc, r)).intoArray(acc, r);
                        high(v).fma(xv, FloatVector.fromArray(S, acc, r + L)).intoArray(acc, r + L);
                    }
                    for (int r = vN; r < n; r++) acc[r] = Math.fma(code(c, t0 + r), x[xOff + c], acc[r]);
                }
                int sb = b * rows + t0, r = 0;
                for (; r < sEnd; r += L)
                    FloatVector.fromArray(S, d, sb + r).fma(FloatVector.fromArray(S, acc, r), FloatVector.fromArray(S, out, oOff + t0 + r)).intoArray(out, oOff + t0 + r);
                for (; r < n; r++) out[oOff + t0 + r] = Math.fma(d[sb + r], acc[r], out[oOff + t0 + r]);
            }
        }
    }

    private static FloatVector low(ByteVector v) { return (FloatVector) v.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, S, 0); }
    private static FloatVector high(ByteVector v) { return (FloatVector) v.lanewise(VectorOperators.LSHR, 4).and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, S, 0); }

    /** Plain scalar reference of {@link #gemv}: the same fused multiply-adds in the same order. */
    public void gemvScalar(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff) {
        check(x, xOff, idx, nnz, out, oOff);
        for (int r = 0; r < rows; r++) {
            float y = 0;
            int j = 0;
            while (j < nnz) {
                int b = idx[j] >> 5;
                float a = 0;
                for (; j < nnz && (idx[j] >> 5) == b; j++) a = Math.fma(code(idx[j], r), x[xOff + idx[j]], a);
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
