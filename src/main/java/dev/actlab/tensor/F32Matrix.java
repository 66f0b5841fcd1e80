package dev.actlab.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Float32 weights, row-major, little-endian, in a (usually memory-mapped) segment. */
public final class F32Matrix implements TiledMatmul.Tiles {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment data;
    private final int rows, cols;

    public F32Matrix(MemorySegment data, int rows, int cols) {
        if (data.byteSize() < (long) rows * cols * 4)
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes is too small for F32 [" + rows + ", " + cols + "]");
        this.data = data; this.rows = rows; this.cols = cols;
    }

    public static F32Matrix of(float[] values, int rows, int cols) {
        return new F32Matrix(MemorySegment.ofArray(values), rows, cols);
    }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public DType dtype() { return DType.F32; }
    @Override public long byteSize() { return (long) rows * cols * 4; }

    @Override public float dot(int row, float[] x, int xOff) {
        long base = (long) row * cols * 4;
        int upper = S.loopBound(cols);
        FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
        int c = 0;
        int step = S.length();
        for (; c + 2 * step <= upper; c += 2 * step) {
            FloatVector w0 = FloatVector.fromMemorySegment(S, data, base + c * 4L, ByteOrder.LITTLE_ENDIAN);
            FloatVector w1 = FloatVector.fromMemorySegment(S, data, base + (c + step) * 4L, ByteOrder.LITTLE_ENDIAN);
            acc0 = w0.fma(FloatVector.fromArray(S, x, xOff + c), acc0);
            acc1 = w1.fma(FloatVector.fromArray(S, x, xOff + c + step), acc1);
        }
        for (; c < upper; c += step) {
            FloatVector w0 = FloatVector.fromMemorySegment(S, data, base + c * 4L, ByteOrder.LITTLE_ENDIAN);
            acc0 = w0.fma(FloatVector.fromArray(S, x, xOff + c), acc0);
        }
        float sum = Lanes.sum(acc0.add(acc1));
        for (; c < cols; c++) sum += data.get(LE, base + c * 4L) * x[xOff + c];
        return sum;
    }

    @Override public float dotScalar(int row, float[] x, int xOff) {
        long base = (long) row * cols * 4;
        float sum = 0;
        for (int c = 0; c < cols; c++) sum += data.get(LE, base + c * 4L) * x[xOff + c];
        return sum;
    }

    @Override public void dequantize(int row, int col, int len, float[] dst, int off) {
        MemorySegment.copy(data, LE, ((long) row * cols + col) * 4, dst, off, len);
    }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        MemorySegment.copy(data, LE, (long) row * cols * 4, dst, off, cols);
    }

    /**
     * Four rows at a time. Decode (n = 1) reads four weight rows per pass over x; prefill works
     * in tiles of 4 rows x 4 tokens so each weight vector is loaded once for four tokens. Every
     * output keeps the summation order of {@link #dot} exactly (accumulator 0 over the even
     * vectors, accumulator 1 over the odd ones, Lanes.sum of their sum, then the scalar tail), so
     * prefill, decode and any thread count give identical bits.
     */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        if (x.length < (long) n * cols || out.length < (long) n * rows)
            throw new IllegalArgumentException("matmul of [" + rows + ", " + cols + "] with " + n + " tokens needs x of " + (long) n * cols + " and out of " + (long) n * rows + " floats");
        if (n >= TiledMatmul.MIN_TOKENS && KernelChoice.tiledPrefill) { TiledMatmul.multiply(this, x, n, out, par); return; }
        int tiles = n / 4, step = S.length(), full = S.loopBound(cols) / step;
        boolean oneBlock = full <= SINGLE_MAX;
        // chunks of at least ~32K multiply-adds: below that, handing rows to another thread costs more than it saves
        int grain = (int) Math.min(Math.max(16, rows), (MIN_CHUNK_WORK / ((long) cols * n) + 15) / 16 * 16);
        if (n < 4 && KernelChoice.f32StridedRows) {
            par.forRange(rows, Math.max(16, grain), (from, to) -> matmulRows(x, n, out, from, to));
            return;
        }
        par.forRange(rows, Math.max(16, grain), (from, to) -> {
            // partial sums per (token tile, 4-row block): [2 accumulators][4 rows][4 tokens][lanes]
            float[] acc = tiles == 0 ? null : new float[(oneBlock ? 1 : tiles) * GROUP * 32 * step];
            int r = from;
            if (!oneBlock) for (; r + 4 * GROUP <= to; r += 4 * GROUP) rowGroup(r, GROUP, x, n, out, acc, full);
            for (; r + 4 <= to; r += 4) rowGroup(r, 1, x, n, out, acc, full);
            for (; r < to; r++) for (int t = 0; t < n; t++) out[t * rows + r] = dot(r, x, t * cols);
        });
    }

    /**
     * Decode's rows [from, to): four per pass, the bits of {@link #dot}. The four rows of a pass are a
     * quarter of the range apart (row i of each quarter), so the pass reads four long sequential streams
     * instead of four short rows side by side: on AVX2 with 2 threads the 110M's 768-column matrices
     * streamed at 29-31 GB/s that way against 19-20 ({@link KernelChoice#f32StridedRows}; README
     * "F32 and Q8_0 decode, second pass").
     */
    @Override public void matmulRows(float[] x, int n, float[] out, int from, int to) {
        if (KernelChoice.f32StridedRows) {
            int q = (to - from) / 4;
            for (int i = 0; i < q; i++) for (int t = 0; t < n; t++) rows4(from + i, q, x, t, out);
            for (int r = from + 4 * q; r < to; r++) for (int t = 0; t < n; t++) out[t * rows + r] = dot(r, x, t * cols);
            return;
        }
        int r = from;
        for (; r + 4 <= to; r += 4) for (int t = 0; t < n; t++) rows4(r, x, t, out);
        for (; r < to; r++) for (int t = 0; t < n; t++) out[t * rows + r] = dot(r, x, t * cols);
    }

    private static final long MIN_CHUNK_WORK = 1 << 15;

    /** 4-row blocks processed together, so a token tile's slice of x is loaded once for all of them. */
    private static final int GROUP = 4;

    /**
     * Rows [row, row + 4 * blocks) for all n tokens. Column blocks of K_BLOCK vectors keep the
     * weights of the block in L1/L2 while every token tile passes; partial sums wait in acc.
     */
    private void rowGroup(int row, int blocks, float[] x, int n, float[] out, float[] acc, int full) {
        int tiles = n / 4, step = S.length();
        boolean oneBlock = full <= SINGLE_MAX;
        int kBlock = oneBlock ? Math.max(2, full + (full & 1)) : K_BLOCK;
        for (int k = 0; k < full || k == 0; k += kBlock) {
            int end = Math.min(full, k + kBlock);
            for (int tile = 0; tile < tiles; tile++)
                for (int b = 0; b < blocks; b++) {
                    int off = ((oneBlock ? 0 : tile * GROUP) + b) * 32 * step, r = row + 4 * b;
                    pass(r, x, tile * 4, k, end, acc, off, k > 0);
                    pass(r, x, tile * 4, k + 1, end, acc, off + 16 * step, k > 0);
                    if (end == full) finishTile(r, x, tile * 4, out, acc, off, full * step);
                }
        }
        for (int b = 0; b < blocks; b++) for (int t = tiles * 4; t < n; t++) rows4(row + 4 * b, x, t, out);
    }

    /** Vectors per column block of the prefill tiles; even, so each block starts on accumulator 0's vectors. */
    private static final int K_BLOCK = 32;
    /** Rows of at most this many vectors (1024 floats on AVX-512) are done in one column block, without a group. */
    private static final int SINGLE_MAX = 64;

    private FloatVector w(long offset) { return FloatVector.fromMemorySegment(S, data, offset, ByteOrder.LITTLE_ENDIAN); }

    /** out[t, row .. row + 3] = W[row .. row + 3, :] . x[t, :]: one x load per four rows. */
    private void rows4(int row, float[] x, int t, float[] out) { rows4(row, 1, x, t, out); }

    /** out[t, row + i * stride] = W[row + i * stride, :] . x[t, :] for i < 4: one x load per four rows. */
    private void rows4(int row, int stride, float[] x, int t, float[] out) {
        long gap = (long) stride * cols * 4;
        long r0 = (long) row * cols * 4, r1 = r0 + gap, r2 = r1 + gap, r3 = r2 + gap;
        int step = S.length(), upper = S.loopBound(cols), xo = t * cols;
        FloatVector a0 = FloatVector.zero(S), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
        int c = 0;
        for (; c + 2 * step <= upper; c += 2 * step) {
            FloatVector x0 = FloatVector.fromArray(S, x, xo + c), x1 = FloatVector.fromArray(S, x, xo + c + step);
            long o0 = c * 4L, o1 = o0 + step * 4L;
            a0 = w(r0 + o0).fma(x0, a0); b0 = w(r0 + o1).fma(x1, b0);
            a1 = w(r1 + o0).fma(x0, a1); b1 = w(r1 + o1).fma(x1, b1);
            a2 = w(r2 + o0).fma(x0, a2); b2 = w(r2 + o1).fma(x1, b2);
            a3 = w(r3 + o0).fma(x0, a3); b3 = w(r3 + o1).fma(x1, b3);
        }
        if (c < upper) {
            FloatVector x0 = FloatVector.fromArray(S, x, xo + c);
            long o0 = c * 4L;
            a0 = w(r0 + o0).fma(x0, a0); a1 = w(r1 + o0).fma(x0, a1);
            a2 = w(r2 + o0).fma(x0, a2); a3 = w(r3 + o0).fma(x0, a3);
            c += step;
        }
        // the lanes parked in scratch and summed in Lanes.sum's order: C2 did not inline every add and Lanes.sum here,
        // and a vector op left as a call allocates (24 bytes a row on average, ~3.5 MB a 110M decode token)
        float[] lanes = KernelScratch.get().floats(3, 4 * step);
        a0.add(b0).intoArray(lanes, 0);
        a1.add(b1).intoArray(lanes, step);
        a2.add(b2).intoArray(lanes, 2 * step);
        a3.add(b3).intoArray(lanes, 3 * step);
        int o = t * rows + row;
        out[o] = tail(r0, x, xo, c, Lanes.sumInPlace(lanes, 0, step));
        out[o + stride] = tail(r1, x, xo, c, Lanes.sumInPlace(lanes, step, step));
        out[o + 2 * stride] = tail(r2, x, xo, c, Lanes.sumInPlace(lanes, 2 * step, step));
        out[o + 3 * stride] = tail(r3, x, xo, c, Lanes.sumInPlace(lanes, 3 * step, step));
    }

    /** The scalar columns [c, cols) added to sum one by one, as {@link #dot} does. */
    private float tail(long rowBase, float[] x, int xo, int c, float sum) {
        for (; c < cols; c++) sum += data.get(LE, rowBase + c * 4L) * x[xo + c];
        return sum;
    }

    /**
     * out[t .. t + 3, row .. row + 3] from the tile's two accumulator sets in acc[off ..]: the
     * even vectors' sums, then the odd ones' (see {@link #pass}); then the lane sum and the tail.
     */
    private void finishTile(int row, float[] x, int t, float[] out, float[] acc, int off, int c) {
        int step = S.length();
        for (int i = 0; i < 4; i++) {
            long rowBase = (long) (row + i) * cols * 4;
            for (int j = 0; j < 4; j++) {
                int k = off + (i * 4 + j) * step;
                FloatVector a = FloatVector.fromArray(S, acc, k), b = FloatVector.fromArray(S, acc, k + 16 * step);
                out[(t + j) * rows + row + i] = tail(rowBase, x, (t + j) * cols, c, Lanes.sum(a.add(b)));
            }
        }
    }

    /**
     * One accumulator set of a 4 rows x 4 tokens tile: adds the vectors first, first + 2, ... < end
     * to the 16 partial sums in scratch[off ..] (or to zero when !resume). Accumulator 0 of
     * {@link #dot} is the pass over the even vectors, accumulator 1 the pass over the odd ones;
     * 16 accumulators fit in registers, and storing a partial sum between column blocks keeps its bits.
     */
    private void pass(int row, float[] x, int t, int first, int end, float[] scratch, int off, boolean resume) {
        int step = S.length();
        long r0 = (long) row * cols * 4, r1 = r0 + cols * 4L, r2 = r1 + cols * 4L, r3 = r2 + cols * 4L;
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        if (resume) {
            c00 = load(scratch, off, 0); c01 = load(scratch, off, 1); c02 = load(scratch, off, 2); c03 = load(scratch, off, 3);
            c10 = load(scratch, off, 4); c11 = load(scratch, off, 5); c12 = load(scratch, off, 6); c13 = load(scratch, off, 7);
            c20 = load(scratch, off, 8); c21 = load(scratch, off, 9); c22 = load(scratch, off, 10); c23 = load(scratch, off, 11);
            c30 = load(scratch, off, 12); c31 = load(scratch, off, 13); c32 = load(scratch, off, 14); c33 = load(scratch, off, 15);
        }
        for (int k = first; k < end; k += 2) {
            int c = k * step;
            long o = c * 4L;
            FloatVector w0 = w(r0 + o), w1 = w(r1 + o), w2 = w(r2 + o), w3 = w(r3 + o);
            FloatVector v = FloatVector.fromArray(S, x, x0 + c);
            c00 = w0.fma(v, c00); c10 = w1.fma(v, c10); c20 = w2.fma(v, c20); c30 = w3.fma(v, c30);
            v = FloatVector.fromArray(S, x, x1 + c);
            c01 = w0.fma(v, c01); c11 = w1.fma(v, c11); c21 = w2.fma(v, c21); c31 = w3.fma(v, c31);
            v = FloatVector.fromArray(S, x, x2 + c);
            c02 = w0.fma(v, c02); c12 = w1.fma(v, c12); c22 = w2.fma(v, c22); c32 = w3.fma(v, c32);
            v = FloatVector.fromArray(S, x, x3 + c);
            c03 = w0.fma(v, c03); c13 = w1.fma(v, c13); c23 = w2.fma(v, c23); c33 = w3.fma(v, c33);
        }
        c00.intoArray(scratch, off); c01.intoArray(scratch, off + step); c02.intoArray(scratch, off + 2 * step); c03.intoArray(scratch, off + 3 * step);
        c10.intoArray(scratch, off + 4 * step); c11.intoArray(scratch, off + 5 * step); c12.intoArray(scratch, off + 6 * step); c13.intoArray(scratch, off + 7 * step);
        c20.intoArray(scratch, off + 8 * step); c21.intoArray(scratch, off + 9 * step); c22.intoArray(scratch, off + 10 * step); c23.intoArray(scratch, off + 11 * step);
        c30.intoArray(scratch, off + 12 * step); c31.intoArray(scratch, off + 13 * step); c32.intoArray(scratch, off + 14 * step); c33.intoArray(scratch, off + 15 * step);
    }

    private static FloatVector load(float[] scratch, int off, int i) { return FloatVector.fromArray(S, scratch, off + i * S.length()); }
}
