package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A weight matrix W [rows, cols] (y = W x) stored input-major as float32: column c of W, the weights
 * that input x[c] multiplies, is the contiguous run {@code wt[c * rows .. c * rows + rows)}. With
 * this layout a GEMV whose input is mostly zero reads only the columns of the non-zero inputs
 * (activation sparsity: TEAL, CATS, WINA). The copy costs rows * cols * 4 bytes beside the
 * original matrix (which the dense path keeps using).
 */
public final class InputMajorF32 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private final float[] wt;
    private final int rows, cols;

    private InputMajorF32(float[] wt, int rows, int cols) { this.wt = wt; this.rows = rows; this.cols = cols; }

    /** The input-major float32 copy of m (dequantized row by row). */
    public static InputMajorF32 of(WeightMatrix m) {
        int rows = m.rows(), cols = m.cols();
        if ((long) rows * cols > Integer.MAX_VALUE - 16)
            throw new IllegalArgumentException("[" + rows + ", " + cols + "] has more than 2^31 weights: too large for one input-major array");
        float[] wt = new float[rows * cols];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            m.dequantizeRow(r, row, 0);
            for (int c = 0; c < cols; c++) wt[c * rows + r] = row[c];
        }
        return new InputMajorF32(wt, rows, cols);
    }

    /**
     * The input-major copy of matrices stacked by rows, [m0; m1; ...] (all with the same cols): row
     * r of m_i is row (rows of m_0 .. m_{i-1}) + r. Matrices that read the same input (q, k, v; gate,
     * up) then have one column per input, as long as their rows together: longer runs to read.
     */
    public static InputMajorF32 ofStacked(WeightMatrix... ms) {
        int cols = ms[0].cols();
        long total = 0;
        for (WeightMatrix m : ms) {
            if (m.cols() != cols) throw new IllegalArgumentException("stacked matrices differ in columns: " + m.cols() + " and " + cols);
            total += m.rows();
        }
        if (total * cols > Integer.MAX_VALUE - 16)
            throw new IllegalArgumentException("[" + total + ", " + cols + "] has more than 2^31 weights: too large for one input-major array");
        int rows = (int) total;
        float[] wt = new float[rows * cols];
        float[] row = new float[cols];
        int base = 0;
        for (WeightMatrix m : ms) {
            for (int r = 0; r < m.rows(); r++) {
                m.dequantizeRow(r, row, 0);
                for (int c = 0; c < cols; c++) wt[c * rows + base + r] = row[c];
            }
            base += m.rows();
        }
        return new InputMajorF32(wt, rows, cols);
    }

    /** From values already input-major: wt[c * rows + r] = W[r, c]. */
    public static InputMajorF32 ofInputMajor(float[] wt, int rows, int cols) {
        if (wt.length != (long) rows * cols) throw new IllegalArgumentException(wt.length + " values for [" + rows + ", " + cols + "]");
        return new InputMajorF32(wt, rows, cols);
    }

    public int rows() { return rows; }
    public int cols() { return cols; }
    /** Bytes of this copy (the extra memory the layout costs). */
    public long byteSize() { return (long) rows * cols * 4; }

    /**
     * out[oOff + r] = sum over j < nnz of W[r, idx[j]] * x[xOff + idx[j]] for every row r: only the
     * columns listed in idx are read. Each output is one chain of fused multiply-adds in the order of
     * idx within each column group ({@link ColumnChunks}: the kept inputs split in equal parts, the
     * parts' sums added in order), whatever the thread count or the lane width, so it equals {@link #gemvScalar}
     * bit for bit.
     */
    public void gemv(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, Parallel par) {
        check(x, xOff, idx, nnz, out, oOff);
        int k = streams;
        ColumnChunks.run(rows, nnz, k, 4 * S.length(), out, oOff, par, (p, c0, c1, from, to) -> {
            if (c1 - c0 == 4) streams4(x, xOff, idx, p, c0, from, to);
            else for (int c = c0; c < c1; c++) range(x, xOff, idx, p.start(c), p.start(c + 1), p.dst(c), p.dOff(c), from, to);
        });
    }

    /**
     * Chains per column group ({@link ColumnChunks#chainsPerGroup}), read side by side: 4 reads one kept column
     * of each of four chains a pass ({@link #streams4}); 1 is the previous kernel (four adjacent kept columns of
     * one chain a pass). Benchmarks only (-Dactlab.columnStreams); the scalar reference follows it.
     */
    static volatile int streams = Integer.getInteger("actlab.columnStreams", 1);

    /** Rows per tile of {@link #streams4}: its four output vectors (4 x 4 x STREAM_TILE bytes) stay in L1/L2. */
    static volatile int STREAM_TILE = Integer.getInteger("actlab.streamTile", 4096);

    /**
     * Rows [from, to) of chains c0 .. c0 + 3 of p, each into its own vector: a pass reads the j-th kept column of
     * each chain, four streams a quarter of the group's kept inputs apart that each move forward through memory
     * pass after pass (the dense kernel's strided rows, {@code F32Matrix.matmulRows}, for columns), instead of
     * four adjacent kept columns whose runs all end together. Each output of a chain is still one chain of
     * fused multiply-adds in the order of idx, as {@link #rowScalar} computes it.
     */
    private void streams4(float[] x, int xOff, int[] idx, ColumnChunks.Plan p, int c0, int from, int to) {
        int L = S.length();
        int s0 = p.start(c0), s1 = p.start(c0 + 1), s2 = p.start(c0 + 2), s3 = p.start(c0 + 3), e = p.start(c0 + 4);
        int n = Math.min(Math.min(s1 - s0, s2 - s1), Math.min(s3 - s2, e - s3));
        float[] d0 = p.dst(c0), d1 = p.dst(c0 + 1), d2 = p.dst(c0 + 2), d3 = p.dst(c0 + 3);
        int o0 = p.dOff(c0), o1 = p.dOff(c0 + 1), o2 = p.dOff(c0 + 2), o3 = p.dOff(c0 + 3);
        int tile = STREAM_TILE;
        for (int t0 = from; t0 < to; t0 += tile) {
            int t1 = Math.min(to, t0 + tile), vEnd = t0 + (t1 - t0) / L * L;
            java.util.Arrays.fill(d0, o0 + t0, o0 + t1, 0f);
            java.util.Arrays.fill(d1, o1 + t0, o1 + t1, 0f);
            java.util.Arrays.fill(d2, o2 + t0, o2 + t1, 0f);
            java.util.Arrays.fill(d3, o3 + t0, o3 + t1, 0f);
            for (int j = 0; j < n; j++) {
                int ca = idx[s0 + j], cb = idx[s1 + j], cc = idx[s2 + j], cd = idx[s3 + j];
                FloatVector xa = FloatVector.broadcast(S, x[xOff + ca]), xb = FloatVector.broadcast(S, x[xOff + cb]);
                FloatVector xc = FloatVector.broadcast(S, x[xOff + cc]), xd = FloatVector.broadcast(S, x[xOff + cd]);
                int ba = ca * rows, bb = cb * rows, bc = cc * rows, bd = cd * rows;
                int r = t0;
                for (; r < vEnd; r += L) {
                    FloatVector.fromArray(S, wt, ba + r).fma(xa, FloatVector.fromArray(S, d0, o0 + r)).intoArray(d0, o0 + r);
                    FloatVector.fromArray(S, wt, bb + r).fma(xb, FloatVector.fromArray(S, d1, o1 + r)).intoArray(d1, o1 + r);
                    FloatVector.fromArray(S, wt, bc + r).fma(xc, FloatVector.fromArray(S, d2, o2 + r)).intoArray(d2, o2 + r);
                    FloatVector.fromArray(S, wt, bd + r).fma(xd, FloatVector.fromArray(S, d3, o3 + r)).intoArray(d3, o3 + r);
                }
                for (; r < t1; r++) {
                    d0[o0 + r] = Math.fma(wt[ba + r], x[xOff + ca], d0[o0 + r]);
                    d1[o1 + r] = Math.fma(wt[bb + r], x[xOff + cb], d1[o1 + r]);
                    d2[o2 + r] = Math.fma(wt[bc + r], x[xOff + cc], d2[o2 + r]);
                    d3[o3 + r] = Math.fma(wt[bd + r], x[xOff + cd], d3[o3 + r]);
                }
            }
            // the chains' last columns beyond the common length (at most one each: the parts differ by at most one input)
            addColumns(x, xOff, idx, s0 + n, s1, d0, o0, t0, t1, vEnd);
            addColumns(x, xOff, idx, s1 + n, s2, d1, o1, t0, t1, vEnd);
            addColumns(x, xOff, idx, s2 + n, s3, d2, o2, t0, t1, vEnd);
            addColumns(x, xOff, idx, s3 + n, e, d3, o3, t0, t1, vEnd);
        }
    }

    /** dst[dOff + r] += W[r, idx[j]] * x[idx[j]] for j in [lo, hi) in order, rows [t0, t1) (vectors up to vEnd). */
    private void addColumns(float[] x, int xOff, int[] idx, int lo, int hi, float[] dst, int dOff, int t0, int t1, int vEnd) {
        int L = S.length();
        for (int j = lo; j < hi; j++) {
            int c = idx[j], b = c * rows;
            FloatVector xv = FloatVector.broadcast(S, x[xOff + c]);
            int r = t0;
            for (; r < vEnd; r += L) FloatVector.fromArray(S, wt, b + r).fma(xv, FloatVector.fromArray(S, dst, dOff + r)).intoArray(dst, dOff + r);
            for (; r < t1; r++) dst[dOff + r] = Math.fma(wt[b + r], x[xOff + c], dst[dOff + r]);
        }
    }

    /**
     * Rows per tile: the tile's outputs (16 KiB) stay in L1 while the kept columns stream past. Long
     * tiles keep the runs of a column long: with 1024 rows, [2048, 8192] (the 1B shape's ffn_down) read
     * each 8 KiB column as two 4 KiB runs and skipped at 1.25x of dense at 50%; with 4096, 1.73x
     * (`ColumnKernelBench`, 2048 gave 1.6-1.7x; [8192, 2048]: 1.6x, 2.0x, 2.2x for 1024, 2048, 4096).
     * 16,384 keeps the 1B shape's stacked gate/up columns (16,384 rows, 64 KiB) one run per thread, the outputs
     * (64 KiB) then in L2: AVX-512, 2 threads, 50%, `SparseDecodeAB`: gate/up 28.9 against 37.8 ms a token, the
     * token 1.655x against 1.504x dense (README, branch teal5); 70%: the same within the noise.
     */
    private static final int TILE = 16384;
    /** Rows per tile of {@link #range}, benchmarks and tests only (-Dactlab.f32TileRows): {@link #TILE} by default; the bits do not depend on it. */
    static volatile int tileRows = Integer.getInteger("actlab.f32TileRows", TILE);

    /**
     * Rows [from, to) of the product over idx[lo .. hi), into out at oOff: for each tile of rows, the outputs start at zero and every kept column j adds
     * W[r, idx[j]] * x[idx[j]] in order, four columns per pass over the tile (the weights of a column
     * are contiguous, so each pass streams four runs of memory; the outputs are loaded and stored once
     * per four columns). The fused multiply-adds per output are the same chain as {@link #rowScalar}.
     */
    private void range(float[] x, int xOff, int[] idx, int lo, int hi, float[] out, int oOff, int from, int to) {
        int L = S.length();
        int tile = tileRows;
        for (int t0 = from; t0 < to; t0 += tile) {
            int t1 = Math.min(to, t0 + tile), vEnd = t0 + (t1 - t0) / L * L;
            java.util.Arrays.fill(out, oOff + t0, oOff + t1, 0f);
            int j = lo;
            int width = passColumns > 0 ? passColumns : rows <= SHORT_ROWS ? 16 : 8;
            if (width == 16) for (; j + 16 <= hi; j += 16) pass16(x, xOff, idx, j, out, oOff, t0, t1, vEnd);
            if (width == 8) for (; j + 8 <= hi; j += 8) pass8(x, xOff, idx, j, out, oOff, t0, t1, vEnd);
            for (; j + 4 <= hi; j += 4) {
                int c0 = idx[j], c1 = idx[j + 1], c2 = idx[j + 2], c3 = idx[j + 3];
                FloatVector x0 = FloatVector.broadcast(S, x[xOff + c0]), x1 = FloatVector.broadcast(S, x[xOff + c1]);
                FloatVector x2 = FloatVector.broadcast(S, x[xOff + c2]), x3 = FloatVector.broadcast(S, x[xOff + c3]);
                int b0 = c0 * rows, b1 = c1 * rows, b2 = c2 * rows, b3 = c3 * rows;
                int r = t0;
                for (; r < vEnd; r += L) {
                    FloatVector y = FloatVector.fromArray(S, out, oOff + r);
                    y = FloatVector.fromArray(S, wt, b0 + r).fma(x0, y);
                    y = FloatVector.fromArray(S, wt, b1 + r).fma(x1, y);
                    y = FloatVector.fromArray(S, wt, b2 + r).fma(x2, y);
                    y = FloatVector.fromArray(S, wt, b3 + r).fma(x3, y);
                    y.intoArray(out, oOff + r);
                }
                tail(x, xOff, idx, j, 4, out, oOff, r, t1);
            }
            for (; j < hi; j++) {
                int c = idx[j], b = c * rows;
                FloatVector xv = FloatVector.broadcast(S, x[xOff + c]);
                int r = t0;
                for (; r < vEnd; r += L) FloatVector.fromArray(S, wt, b + r).fma(xv, FloatVector.fromArray(S, out, oOff + r)).intoArray(out, oOff + r);
                for (; r < t1; r++) out[oOff + r] = Math.fma(wt[b + r], x[xOff + c], out[oOff + r]);
            }
        }
    }

    /**
     * Kept columns per pass of {@link #range} (then four at a time for the rest): 0 chooses by the column's
     * length, 16 for columns of at most {@link #SHORT_ROWS} rows, else 8; 4 is the previous kernel (benchmarks:
     * -Dactlab.passColumns). The same chain whatever the width. More adjacent kept columns read side by side
     * keep more of memory busy at once where each column is a short run; on long columns sixteen streams are
     * more than the prefetchers follow. `ColumnKernelBench F32` at 2 threads, 50%, median speedup over dense
     * against four a pass: [768, 2048] 1.36x / 1.12x (16), [2048, 8192] 1.22x / 1.84x (16), 1.74x / 1.66x (8)
     * (docs/sparsity-speed-log.md, "Column streams").
     */
    static volatile int passColumns = Integer.getInteger("actlab.passColumns", 0);

    /** Columns of at most this many rows are read sixteen a pass, longer ones eight (passColumns 0). */
    static volatile int SHORT_ROWS = Integer.getInteger("actlab.shortRows", 1024);

    /** Eight kept columns idx[j .. j + 8) added in order to rows [t0, t1) of out: eight streams, one load and store of out. */
    private void pass8(float[] x, int xOff, int[] idx, int j, float[] out, int oOff, int t0, int t1, int vEnd) {
        int L = S.length();
        int c0 = idx[j + 0], b0 = c0 * rows; FloatVector x0 = FloatVector.broadcast(S, x[xOff + c0]);
        int c1 = idx[j + 1], b1 = c1 * rows; FloatVector x1 = FloatVector.broadcast(S, x[xOff + c1]);
        int c2 = idx[j + 2], b2 = c2 * rows; FloatVector x2 = FloatVector.broadcast(S, x[xOff + c2]);
        int c3 = idx[j + 3], b3 = c3 * rows; FloatVector x3 = FloatVector.broadcast(S, x[xOff + c3]);
        int c4 = idx[j + 4], b4 = c4 * rows; FloatVector x4 = FloatVector.broadcast(S, x[xOff + c4]);
        int c5 = idx[j + 5], b5 = c5 * rows; FloatVector x5 = FloatVector.broadcast(S, x[xOff + c5]);
        int c6 = idx[j + 6], b6 = c6 * rows; FloatVector x6 = FloatVector.broadcast(S, x[xOff + c6]);
        int c7 = idx[j + 7], b7 = c7 * rows; FloatVector x7 = FloatVector.broadcast(S, x[xOff + c7]);
        int r = t0;
        for (; r < vEnd; r += L) {
            FloatVector y = FloatVector.fromArray(S, out, oOff + r);
            y = FloatVector.fromArray(S, wt, b0 + r).fma(x0, y);
            y = FloatVector.fromArray(S, wt, b1 + r).fma(x1, y);
            y = FloatVector.fromArray(S, wt, b2 + r).fma(x2, y);
            y = FloatVector.fromArray(S, wt, b3 + r).fma(x3, y);
            y = FloatVector.fromArray(S, wt, b4 + r).fma(x4, y);
            y = FloatVector.fromArray(S, wt, b5 + r).fma(x5, y);
            y = FloatVector.fromArray(S, wt, b6 + r).fma(x6, y);
            y = FloatVector.fromArray(S, wt, b7 + r).fma(x7, y);
            y.intoArray(out, oOff + r);
        }
        tail(x, xOff, idx, j, 8, out, oOff, r, t1);
    }

    /** Sixteen kept columns idx[j .. j + 16) added in order to rows [t0, t1) of out: sixteen streams, one load and store of out. */
    private void pass16(float[] x, int xOff, int[] idx, int j, float[] out, int oOff, int t0, int t1, int vEnd) {
        int L = S.length();
        int c0 = idx[j + 0], b0 = c0 * rows; FloatVector x0 = FloatVector.broadcast(S, x[xOff + c0]);
        int c1 = idx[j + 1], b1 = c1 * rows; FloatVector x1 = FloatVector.broadcast(S, x[xOff + c1]);
        int c2 = idx[j + 2], b2 = c2 * rows; FloatVector x2 = FloatVector.broadcast(S, x[xOff + c2]);
        int c3 = idx[j + 3], b3 = c3 * rows; FloatVector x3 = FloatVector.broadcast(S, x[xOff + c3]);
        int c4 = idx[j + 4], b4 = c4 * rows; FloatVector x4 = FloatVector.broadcast(S, x[xOff + c4]);
        int c5 = idx[j + 5], b5 = c5 * rows; FloatVector x5 = FloatVector.broadcast(S, x[xOff + c5]);
        int c6 = idx[j + 6], b6 = c6 * rows; FloatVector x6 = FloatVector.broadcast(S, x[xOff + c6]);
        int c7 = idx[j + 7], b7 = c7 * rows; FloatVector x7 = FloatVector.broadcast(S, x[xOff + c7]);
        int c8 = idx[j + 8], b8 = c8 * rows; FloatVector x8 = FloatVector.broadcast(S, x[xOff + c8]);
        int c9 = idx[j + 9], b9 = c9 * rows; FloatVector x9 = FloatVector.broadcast(S, x[xOff + c9]);
        int c10 = idx[j + 10], b10 = c10 * rows; FloatVector x10 = FloatVector.broadcast(S, x[xOff + c10]);
        int c11 = idx[j + 11], b11 = c11 * rows; FloatVector x11 = FloatVector.broadcast(S, x[xOff + c11]);
        int c12 = idx[j + 12], b12 = c12 * rows; FloatVector x12 = FloatVector.broadcast(S, x[xOff + c12]);
        int c13 = idx[j + 13], b13 = c13 * rows; FloatVector x13 = FloatVector.broadcast(S, x[xOff + c13]);
        int c14 = idx[j + 14], b14 = c14 * rows; FloatVector x14 = FloatVector.broadcast(S, x[xOff + c14]);
        int c15 = idx[j + 15], b15 = c15 * rows; FloatVector x15 = FloatVector.broadcast(S, x[xOff + c15]);
        int r = t0;
        for (; r < vEnd; r += L) {
            FloatVector y = FloatVector.fromArray(S, out, oOff + r);
            y = FloatVector.fromArray(S, wt, b0 + r).fma(x0, y);
            y = FloatVector.fromArray(S, wt, b1 + r).fma(x1, y);
            y = FloatVector.fromArray(S, wt, b2 + r).fma(x2, y);
            y = FloatVector.fromArray(S, wt, b3 + r).fma(x3, y);
            y = FloatVector.fromArray(S, wt, b4 + r).fma(x4, y);
            y = FloatVector.fromArray(S, wt, b5 + r).fma(x5, y);
            y = FloatVector.fromArray(S, wt, b6 + r).fma(x6, y);
            y = FloatVector.fromArray(S, wt, b7 + r).fma(x7, y);
            y = FloatVector.fromArray(S, wt, b8 + r).fma(x8, y);
            y = FloatVector.fromArray(S, wt, b9 + r).fma(x9, y);
            y = FloatVector.fromArray(S, wt, b10 + r).fma(x10, y);
            y = FloatVector.fromArray(S, wt, b11 + r).fma(x11, y);
            y = FloatVector.fromArray(S, wt, b12 + r).fma(x12, y);
            y = FloatVector.fromArray(S, wt, b13 + r).fma(x13, y);
            y = FloatVector.fromArray(S, wt, b14 + r).fma(x14, y);
            y = FloatVector.fromArray(S, wt, b15 + r).fma(x15, y);
            y.intoArray(out, oOff + r);
        }
        tail(x, xOff, idx, j, 16, out, oOff, r, t1);
    }

    /** Rows [r, t1) past the vectors: out[r] += W[r, idx[j + i]] * x[idx[j + i]] for i < count, one chain per output in column order. */
    private void tail(float[] x, int xOff, int[] idx, int j, int count, float[] out, int oOff, int r, int t1) {
        for (; r < t1; r++) {
            float y = out[oOff + r];
            for (int i = 0; i < count; i++) { int c = idx[j + i]; y = Math.fma(wt[c * rows + r], x[xOff + c], y); }
            out[oOff + r] = y;
        }
    }

    /** Plain scalar reference of {@link #gemv}: the same fused multiply-adds in the same order. */
    public void gemvScalar(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff) {
        check(x, xOff, idx, nnz, out, oOff);
        ColumnChunks.scalar(rows, nnz, streams, out, oOff, (lo, hi, r) -> rowScalar(x, xOff, idx, lo, hi, r));
    }

    /** Row r over the kept inputs idx[lo .. hi): one chain of fused multiply-adds from zero. */
    private float rowScalar(float[] x, int xOff, int[] idx, int lo, int hi, int r) {
        float s = 0;
        for (int j = lo; j < hi; j++) { int c = idx[j]; s = Math.fma(wt[c * rows + r], x[xOff + c], s); }
        return s;
    }

    private void check(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff) {
        if (nnz < 0 || nnz > idx.length || nnz > cols) throw new IllegalArgumentException(nnz + " non-zero inputs of " + cols);
        if (xOff < 0 || xOff + cols > x.length) throw new IllegalArgumentException("x of " + x.length + " floats has no " + cols + " inputs at " + xOff);
        if (oOff < 0 || oOff + rows > out.length) throw new IllegalArgumentException("out of " + out.length + " floats has no " + rows + " outputs at " + oOff);
        for (int j = 0; j < nnz; j++)
            if (idx[j] < 0 || idx[j] >= cols) throw new IllegalArgumentException("input index " + idx[j] + " at " + j + " is outside [0, " + cols + ")");
    }
}
