package dev.actlab.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, S.vectorShape());
    private static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(S.vectorBitSize() / 4));
    private static final int L = S.length(), CHUNK = 2 * L;
    private static final int TILE = 1024;

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

    /** The 4-bit code q of W[r, c] = d * (q - 8). */
    private int raw(int c, int r) {
        int v = q[at(stride, c, r)];
        return r % CHUNK < L ? v & 15 : (v >> 4) & 15;
    }

    public int rows() { return rows; }
    public int cols() { return cols; }
    public long byteSize() { return q.length + 4L * d.length; }

    /**
     * out[oOff + r] = sum over the input blocks b with a kept input, in order, of d[b, r] * a[b, r], where
     * a[b, r] starts at -8 * (the sum of the kept x[c] of block b, in the order of idx) and takes a fused
     * multiply-add q[c, r] * x[c] per kept input c of the block, in the order of idx (q the raw 4-bit code,
     * 0..15: the offset of 8 is folded into the start, once per block instead of once per weight); idx
     * must be increasing. Only the kept columns and the scales of blocks with a kept input are read. Equals
     * {@link #gemvScalar} bit for bit at any thread count.
     */
    public void gemv(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, Parallel par) {
        check(x, xOff, idx, nnz, out, oOff);
        int[] starts = new int[Math.min(nnz, cols / 32) + 1];   // where each block's kept inputs begin in idx
        float[] init = new float[starts.length];
        int blocks = blockStarts(x, xOff, idx, nnz, starts, init);
        // chunks are a multiple of 4L, so of CHUNK: every range but the last starts on a chunk
        par.forRange(rows, ColumnChunks.size(rows, nnz, par.threads(), 4 * L), (from, to) -> range(x, xOff, idx, starts, init, blocks, out, oOff, from, to));
    }

    /** Splits idx by input block: starts[k] .. starts[k + 1] are block k's kept inputs; init[k] = -8 * their x summed in order. */
    private static int blockStarts(float[] x, int xOff, int[] idx, int nnz, int[] starts, float[] init) {
        int k = 0, j = 0;
        while (j < nnz) {
            int b = idx[j] >> 5;
            starts[k] = j;
            float sum = 0;
            for (; j < nnz && (idx[j] >> 5) == b; j++) sum += x[xOff + idx[j]];
            init[k++] = -8f * sum;
        }
        starts[k] = nnz;
        return k;
    }

    /*
     * Rows [from, to) in tiles of TILE: per block, the kept columns eight at a time, then four, then one
     * at a time; a group's pass over the tile starts from the block's init (first group) or the tile's
     * accumulators, and ends by storing them or, after the block's last group, adding d * a into out.
     * Nibbles are widened to int lanes before they are split (x86 has no byte shifts), the codes are
     * converted to float, and the offset of 8 is in init: per 2L weights one load, one widening, three int
     * operations, two conversions, two fused multiply-adds.
     */
    private void range(float[] x, int xOff, int[] idx, int[] starts, float[] init, int blocks, float[] out, int oOff, int from, int to) {
        float[] acc = new float[Math.min(TILE, to - from)];
        for (int t0 = from; t0 < to; t0 += TILE) {
            int t1 = Math.min(to, t0 + TILE), n = t1 - t0;
            int vN = t0 % CHUNK == 0 ? n / CHUNK * CHUNK : 0;
            java.util.Arrays.fill(out, oOff + t0, oOff + t1, 0f);
            for (int k = 0; k < blocks; k++) {
                int j = starts[k], end = starts[k + 1], sb = (idx[j] >> 5) * rows + t0, o = oOff + t0;
                float a0 = init[k];
                FloatVector start = FloatVector.broadcast(S, a0);
                for (; j + 8 <= end; j += 8) {   // eight kept columns per pass over the tile (eight streams in flight)
                    boolean first = j == starts[k], last = j + 8 == end;
                    int c0 = idx[j + 0], q0 = c0 * stride + t0 / 2;
                    FloatVector x0 = FloatVector.broadcast(S, x[xOff + c0]);
                    int c1 = idx[j + 1], q1 = c1 * stride + t0 / 2;
                    FloatVector x1 = FloatVector.broadcast(S, x[xOff + c1]);
                    int c2 = idx[j + 2], q2 = c2 * stride + t0 / 2;
                    FloatVector x2 = FloatVector.broadcast(S, x[xOff + c2]);
                    int c3 = idx[j + 3], q3 = c3 * stride + t0 / 2;
                    FloatVector x3 = FloatVector.broadcast(S, x[xOff + c3]);
                    int c4 = idx[j + 4], q4 = c4 * stride + t0 / 2;
                    FloatVector x4 = FloatVector.broadcast(S, x[xOff + c4]);
                    int c5 = idx[j + 5], q5 = c5 * stride + t0 / 2;
                    FloatVector x5 = FloatVector.broadcast(S, x[xOff + c5]);
                    int c6 = idx[j + 6], q6 = c6 * stride + t0 / 2;
                    FloatVector x6 = FloatVector.broadcast(S, x[xOff + c6]);
                    int c7 = idx[j + 7], q7 = c7 * stride + t0 / 2;
                    FloatVector x7 = FloatVector.broadcast(S, x[xOff + c7]);
                    for (int r = 0; r < vN; r += CHUNK) {
                        FloatVector lo = first ? start : FloatVector.fromArray(S, acc, r), hi = first ? start : FloatVector.fromArray(S, acc, r + L);
                        IntVector v0 = (IntVector) ByteVector.fromArray(BS, q, q0 + r / 2).castShape(IS, 0);
                        lo = ((FloatVector) v0.and(15).castShape(S, 0)).fma(x0, lo);
                        hi = ((FloatVector) v0.lanewise(VectorOperators.ASHR, 4).and(15).castShape(S, 0)).fma(x0, hi);
                        IntVector v1 = (IntVector) ByteVector.fromArray(BS, q, q1 + r / 2).castShape(IS, 0);
                        lo = ((FloatVector) v1.and(15).castShape(S, 0)).fma(x1, lo);
                        hi = ((FloatVector) v1.lanewise(VectorOperators.ASHR, 4).and(15).castShape(S, 0)).fma(x1, hi);
                        IntVector v2 = (IntVector) ByteVector.fromArray(BS, q, q2 + r / 2).castShape(IS, 0);
                        lo = ((FloatVector) v2.and(15).castShape(S, 0)).fma(x2, lo);
                        hi = ((FloatVector) v2.lanewise(VectorOperators.ASHR, 4).and(15).castShape(S, 0)).fma(x2, hi);
                        IntVector v3 = (IntVector) ByteVector.fromArray(BS, q, q3 + r / 2).castShape(IS, 0);
                        lo = ((FloatVector) v3.and(15).castShape(S, 0)).fma(x3, lo);
                        hi = ((FloatVector) v3.lanewise(VectorOperators.ASHR, 4).and(15).castShape(S, 0)).fma(x3, hi);
                        IntVector v4 = (IntVector) ByteVector.fromArray(BS, q, q4 + r / 2).castShape(IS, 0);
                        lo = ((FloatVector) v4.and(15).castShape(S, 0)).fma(x4, lo);
                        hi = ((FloatVector) v4.lanewise(VectorOperators.ASHR, 4).and(15).castShape(S, 0)).fma(x4, hi);
                        IntVector v5 = (IntVector) ByteVector.fromArray(BS, q, q5 + r / 2).castShape(IS, 0);
                        lo = ((FloatVector) v5.and(15).castShape(S, 0)).fma(x5, lo);
                        hi = ((FloatVector) v5.lanewise(VectorOperators.ASHR, 4).and(15).castShape(S, 0)).fma(x5, hi);
                        IntVector v6 = (IntVector) ByteVector.fromArray(BS, q, q6 + r / 2).castShape(IS, 0);
                        lo = ((FloatVector) v6.and(15).castShape(S, 0)).fma(x6, lo);
                        hi = ((FloatVector) v6.lanewise(VectorOperators.ASHR, 4).and(15).castShape(S, 0)).fma(x6, hi);
                        IntVector v7 = (IntVector) ByteVector.fromArray(BS, q, q7 + r / 2).castShape(IS, 0);
                        lo = ((FloatVector) v7.and(15).castShape(S, 0)).fma(x7, lo);
                        hi = ((FloatVector) v7.lanewise(VectorOperators.ASHR, 4).and(15).castShape(S, 0)).fma(x7, hi);
                        if (last) {
                            FloatVector.fromArray(S, d, sb + r).fma(lo, FloatVector.fromArray(S, out, o + r)).intoArray(out, o + r);
                            FloatVector.fromArray(S, d, sb + r + L).fma(hi, FloatVector.fromArray(S, out, o + r + L)).intoArray(out, o + r + L);
                        } else {
                            lo.intoArray(acc, r);
                            hi.intoArray(acc, r + L);
                        }
                    }
                    for (int r = vN; r < n; r++) {
                        float a = first ? a0 : acc[r];
                        a = Math.fma(raw(c0, t0 + r), x[xOff + c0], a);
                        a = Math.fma(raw(c1, t0 + r), x[xOff + c1], a);
                        a = Math.fma(raw(c2, t0 + r), x[xOff + c2], a);
                        a = Math.fma(raw(c3, t0 + r), x[xOff + c3], a);
                        a = Math.fma(raw(c4, t0 + r), x[xOff + c4], a);
                        a = Math.fma(raw(c5, t0 + r), x[xOff + c5], a);
                        a = Math.fma(raw(c6, t0 + r), x[xOff + c6], a);
                        a = Math.fma(raw(c7, t0 + r), x[xOff + c7], a);
                        if (last) out[o + r] = Math.fma(d[sb + r], a, out[o + r]); else acc[r] = a;
                    }
                }
                for (; j + 4 <= end; j += 4) {   // then four
                    boolean first = j == starts[k], last = j + 4 == end;
                    int c0 = idx[j + 0], q0 = c0 * stride + t0 / 2;
                    FloatVector x0 = FloatVector.broadcast(S, x[xOff + c0]);
                    int c1 = idx[j + 1], q1 = c1 * stride + t0 / 2;
                    FloatVector x1 = FloatVector.broadcast(S, x[xOff + c1]);
                    int c2 = idx[j + 2], q2 = c2 * stride + t0 / 2;
                    FloatVector x2 = FloatVector.broadcast(S, x[xOff + c2]);
                    int c3 = idx[j + 3], q3 = c3 * stride + t0 / 2;
                    FloatVector x3 = FloatVector.broadcast(S, x[xOff + c3]);
                    for (int r = 0; r < vN; r += CHUNK) {
                        FloatVector lo = first ? start : FloatVector.fromArray(S, acc, r), hi = first ? start : FloatVector.fromArray(S, acc, r + L);
                        IntVector v0 = (IntVector) ByteVector.fromArray(BS, q, q0 + r / 2).castShape(IS, 0);
                        lo = ((FloatVector) v0.and(15).castShape(S, 0)).fma(x0, lo);
                        hi = ((FloatVector) v0.lanewise(VectorOperators.ASHR, 4).and(15).castShape(S, 0)).fma(x0, hi);
                        IntVector v1 = (IntVector) ByteVector.fromArray(BS, q, q1 + r / 2).castShape(IS, 0);
                        lo = ((FloatVector) v1.and(15).castShape(S, 0)).fma(x1, lo);
                        hi = ((FloatVector) v1.lanewise(VectorOperators.ASHR, 4).and(15).castShape(S, 0)).fma(x1, hi);
                        IntVector v2 = (IntVector) ByteVector.fromArray(BS, q, q2 + r / 2).castShape(IS, 0);
                        lo = ((FloatVector) v2.and(15).castShape(S, 0)).fma(x2, lo);
                        hi = ((FloatVector) v2.lanewise(VectorOperators.ASHR, 4).and(15).castShape(S, 0)).fma(x2, hi);
                        IntVector v3 = (IntVector) ByteVector.fromArray(BS, q, q3 + r / 2).castShape(IS, 0);
                        lo = ((FloatVector) v3.and(15).castShape(S, 0)).fma(x3, lo);
                        hi = ((FloatVector) v3.lanewise(VectorOperators.ASHR, 4).and(15).castShape(S, 0)).fma(x3, hi);
                        if (last) {
                            FloatVector.fromArray(S, d, sb + r).fma(lo, FloatVector.fromArray(S, out, o + r)).intoArray(out, o + r);
                            FloatVector.fromArray(S, d, sb + r + L).fma(hi, FloatVector.fromArray(S, out, o + r + L)).intoArray(out, o + r + L);
                        } else {
                            lo.intoArray(acc, r);
                            hi.intoArray(acc, r + L);
                        }
                    }
                    for (int r = vN; r < n; r++) {
                        float a = first ? a0 : acc[r];
                        a = Math.fma(raw(c0, t0 + r), x[xOff + c0], a);
                        a = Math.fma(raw(c1, t0 + r), x[xOff + c1], a);
                        a = Math.fma(raw(c2, t0 + r), x[xOff + c2], a);
                        a = Math.fma(raw(c3, t0 + r), x[xOff + c3], a);
                        if (last) out[o + r] = Math.fma(d[sb + r], a, out[o + r]); else acc[r] = a;
                    }
                }
                for (; j < end; j++) {   // the rest, one column per pass
                    boolean first = j == starts[k], last = j + 1 == end;
                    int c = idx[j], qc = c * stride + t0 / 2;
                    FloatVector xv = FloatVector.broadcast(S, x[xOff + c]);
                    for (int r = 0; r < vN; r += CHUNK) {
                        IntVector v = (IntVector) ByteVector.fromArray(BS, q, qc + r / 2).castShape(IS, 0);
                        FloatVector lo = first ? start : FloatVector.fromArray(S, acc, r), hi = first ? start : FloatVector.fromArray(S, acc, r + L);
                        lo = ((FloatVector) v.and(15).castShape(S, 0)).fma(xv, lo);
                        hi = ((FloatVector) v.lanewise(VectorOperators.ASHR, 4).and(15).castShape(S, 0)).fma(xv, hi);
                        if (last) {
                            FloatVector.fromArray(S, d, sb + r).fma(lo, FloatVector.fromArray(S, out, o + r)).intoArray(out, o + r);
                            FloatVector.fromArray(S, d, sb + r + L).fma(hi, FloatVector.fromArray(S, out, o + r + L)).intoArray(out, o + r + L);
                        } else {
                            lo.intoArray(acc, r);
                            hi.intoArray(acc, r + L);
                        }
                    }
                    for (int r = vN; r < n; r++) {
                        float a = Math.fma(raw(c, t0 + r), x[xOff + c], first ? a0 : acc[r]);
                        if (last) out[o + r] = Math.fma(d[sb + r], a, out[o + r]); else acc[r] = a;
                    }
                }
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
                int b = idx[j] >> 5, e = j;
                float sum = 0;
                for (; e < nnz && (idx[e] >> 5) == b; e++) sum += x[xOff + idx[e]];
                float a = -8f * sum;
                for (; j < e; j++) a = Math.fma(raw(idx[j], r), x[xOff + idx[j]], a);
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
