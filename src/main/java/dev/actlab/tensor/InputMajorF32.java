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
    /** Multiply-adds below which a GEMV stays on one thread. */
    private static final long MIN_CHUNK_WORK = 1 << 15;

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
     * idx, whatever the thread count or the lane width, so it equals {@link #gemvScalar} bit for bit.
     */
    public void gemv(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, Parallel par) {
        check(x, xOff, idx, nnz, out, oOff);
        int block = 4 * S.length();
        long work = Math.max(1L, (long) nnz);
        int grain = (int) Math.min(Math.max(block, rows), Math.max(block, (MIN_CHUNK_WORK / work + block - 1) / block * block));
        par.forRange(rows, grain, (from, to) -> range(x, xOff, idx, nnz, out, oOff, from, to));
    }

    private void range(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, int from, int to) {
        int L = S.length(), r = from;
        for (; r + 4 * L <= to; r += 4 * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < nnz; j++) {
                int c = idx[j];
                FloatVector xv = FloatVector.broadcast(S, x[xOff + c]);
                int b = c * rows + r;
                a0 = FloatVector.fromArray(S, wt, b).fma(xv, a0);
                a1 = FloatVector.fromArray(S, wt, b + L).fma(xv, a1);
                a2 = FloatVector.fromArray(S, wt, b + 2 * L).fma(xv, a2);
                a3 = FloatVector.fromArray(S, wt, b + 3 * L).fma(xv, a3);
            }
            a0.intoArray(out, oOff + r); a1.intoArray(out, oOff + r + L);
            a2.intoArray(out, oOff + r + 2 * L); a3.intoArray(out, oOff + r + 3 * L);
        }
        for (; r + L <= to; r += L) {
            FloatVector a0 = FloatVector.zero(S);
            for (int j = 0; j < nnz; j++) {
                int c = idx[j];
                a0 = FloatVector.fromArray(S, wt, c * rows + r).fma(FloatVector.broadcast(S, x[xOff + c]), a0);
            }
            a0.intoArray(out, oOff + r);
        }
        for (; r < to; r++) out[oOff + r] = rowScalar(x, xOff, idx, nnz, r);
    }

    /** Plain scalar reference of {@link #gemv}: the same fused multiply-adds in the same order. */
    public void gemvScalar(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff) {
        check(x, xOff, idx, nnz, out, oOff);
        for (int r = 0; r < rows; r++) out[oOff + r] = rowScalar(x, xOff, idx, nnz, r);
    }

    private float rowScalar(float[] x, int xOff, int[] idx, int nnz, int r) {
        float s = 0;
        for (int j = 0; j < nnz; j++) { int c = idx[j]; s = Math.fma(wt[c * rows + r], x[xOff + c], s); }
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
