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
        ColumnChunks.run(rows, nnz, 4 * S.length(), out, oOff, par, (lo, hi, from, to, dst, dOff) -> range(x, xOff, idx, lo, hi, dst, dOff, from, to));
    }

    /**
     * Rows per tile: the tile's outputs (16 KiB) stay in L1 while the kept columns stream past. Long
     * tiles keep the runs of a column long: with 1024 rows, [2048, 8192] (the 1B shape's ffn_down) read
     * each 8 KiB column as two 4 KiB runs and skipped at 1.25x of dense at 50%; with 4096, 1.73x
     * (`ColumnKernelBench`, 2048 gave 1.6-1.7x; [8192, 2048]: 1.6x, 2.0x, 2.2x for 1024, 2048, 4096).
     */
    private static final int TILE = 4096;

    /**
     * Rows [from, to) of the product over idx[lo .. hi), into out at oOff: for each tile of rows, the outputs start at zero and every kept column j adds
     * W[r, idx[j]] * x[idx[j]] in order, four columns per pass over the tile (the weights of a column
     * are contiguous, so each pass streams four runs of memory; the outputs are loaded and stored once
     * per four columns). The fused multiply-adds per output are the same chain as {@link #rowScalar}.
     */
    private void range(float[] x, int xOff, int[] idx, int lo, int hi, float[] out, int oOff, int from, int to) {
        int L = S.length();
        for (int t0 = from; t0 < to; t0 += TILE) {
            int t1 = Math.min(to, t0 + TILE), vEnd = t0 + (t1 - t0) / L * L;
            java.util.Arrays.fill(out, oOff + t0, oOff + t1, 0f);
            int j = lo;
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
                for (; r < t1; r++) {
                    float y = out[oOff + r];
                    y = Math.fma(wt[b0 + r], x[xOff + c0], y);
                    y = Math.fma(wt[b1 + r], x[xOff + c1], y);
                    y = Math.fma(wt[b2 + r], x[xOff + c2], y);
                    y = Math.fma(wt[b3 + r], x[xOff + c3], y);
                    out[oOff + r] = y;
                }
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

    /** Plain scalar reference of {@link #gemv}: the same fused multiply-adds in the same order. */
    public void gemvScalar(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff) {
        check(x, xOff, idx, nnz, out, oOff);
        ColumnChunks.scalar(rows, nnz, out, oOff, (lo, hi, r) -> rowScalar(x, xOff, idx, lo, hi, r));
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
