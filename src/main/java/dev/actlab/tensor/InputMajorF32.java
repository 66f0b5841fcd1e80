package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A weight matrix W [rows, cols] (y = W x) stored input-major in strips of {@link #STRIP} rows, as
 * float32: within strip s (rows [s * STRIP, s * STRIP + h)), the h weights that input x[c] multiplies
 * are the contiguous run {@code wt[s * STRIP * cols + c * h ..) }. A GEMV whose input is mostly zero
 * reads only the kept columns' runs (activation sparsity: TEAL, CATS, WINA), and since a strip's runs
 * lie side by side, it walks each strip forward in memory, skipping what it does not need, with the
 * strip's outputs held in registers. The copy costs rows * cols * 4 bytes beside the original matrix
 * (which the dense path keeps using).
 */
public final class InputMajorF32 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Rows per strip: eight vectors of outputs, kept in registers while the kept columns stream past. */
    public static final int STRIP = 8 * S.length();
    /** Multiply-adds below which a GEMV stays on one thread. */
    private static final long MIN_CHUNK_WORK = 1 << 15;

    private final float[] wt;
    private final int rows, cols;

    private InputMajorF32(float[] wt, int rows, int cols) { this.wt = wt; this.rows = rows; this.cols = cols; }

    /** The strip-wise input-major float32 copy of m (dequantized row by row). */
    public static InputMajorF32 of(WeightMatrix m) {
        int rows = m.rows(), cols = m.cols();
        if ((long) rows * cols > Integer.MAX_VALUE - 16)
            throw new IllegalArgumentException("[" + rows + ", " + cols + "] has more than 2^31 weights: too large for one input-major array");
        float[] wt = new float[rows * cols];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            m.dequantizeRow(r, row, 0);
            for (int c = 0; c < cols; c++) wt[index(r, c, rows, cols)] = row[c];
        }
        return new InputMajorF32(wt, rows, cols);
    }

    /** From values input-major without strips: colMajor[c * rows + r] = W[r, c]. */
    public static InputMajorF32 ofInputMajor(float[] colMajor, int rows, int cols) {
        if (colMajor.length != (long) rows * cols) throw new IllegalArgumentException(colMajor.length + " values for [" + rows + ", " + cols + "]");
        float[] wt = new float[colMajor.length];
        for (int c = 0; c < cols; c++) for (int r = 0; r < rows; r++) wt[index(r, c, rows, cols)] = colMajor[c * rows + r];
        return new InputMajorF32(wt, rows, cols);
    }

    /** Where W[r, c] lives: strip r / STRIP, column c's run of that strip's height, row r's place in it. */
    private static int index(int r, int c, int rows, int cols) {
        int s0 = r - r % STRIP, h = Math.min(STRIP, rows - s0);
        return s0 * cols + c * h + (r - s0);
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
        int strips = (rows + STRIP - 1) / STRIP;
        long work = Math.max(1L, (long) nnz * STRIP);
        int grain = (int) Math.max(1, Math.min(strips, MIN_CHUNK_WORK / work));
        par.forRange(strips, grain, (from, to) -> {
            for (int s = from; s < to; s++) {
                int r0 = s * STRIP;
                if (rows - r0 >= STRIP) strip(x, xOff, idx, nnz, out, oOff + r0, r0 * cols);
                else for (int r = r0; r < rows; r++) out[oOff + r] = rowScalar(x, xOff, idx, nnz, r);
            }
        });
    }

    /**
     * One full strip: eight vectors of outputs start at zero and every kept column j adds its run
     * times x[idx[j]], in the order of idx (the chain of {@link #rowScalar}); the runs of increasing
     * columns lie at increasing addresses, so the strip is read forward, only the kept runs.
     */
    private void strip(float[] x, int xOff, int[] idx, int nnz, float[] out, int o, int base) {
        int L = S.length();
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int j = 0; j < nnz; j++) {
            int c = idx[j], b = base + c * STRIP;
            FloatVector xv = FloatVector.broadcast(S, x[xOff + c]);
            a0 = FloatVector.fromArray(S, wt, b).fma(xv, a0);
            a1 = FloatVector.fromArray(S, wt, b + L).fma(xv, a1);
            a2 = FloatVector.fromArray(S, wt, b + 2 * L).fma(xv, a2);
            a3 = FloatVector.fromArray(S, wt, b + 3 * L).fma(xv, a3);
            a4 = FloatVector.fromArray(S, wt, b + 4 * L).fma(xv, a4);
            a5 = FloatVector.fromArray(S, wt, b + 5 * L).fma(xv, a5);
            a6 = FloatVector.fromArray(S, wt, b + 6 * L).fma(xv, a6);
            a7 = FloatVector.fromArray(S, wt, b + 7 * L).fma(xv, a7);
        }
        a0.intoArray(out, o); a1.intoArray(out, o + L); a2.intoArray(out, o + 2 * L); a3.intoArray(out, o + 3 * L);
        a4.intoArray(out, o + 4 * L); a5.intoArray(out, o + 5 * L); a6.intoArray(out, o + 6 * L); a7.intoArray(out, o + 7 * L);
    }

    /** Plain scalar reference of {@link #gemv}: the same fused multiply-adds in the same order. */
    public void gemvScalar(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff) {
        check(x, xOff, idx, nnz, out, oOff);
        for (int r = 0; r < rows; r++) out[oOff + r] = rowScalar(x, xOff, idx, nnz, r);
    }

    private float rowScalar(float[] x, int xOff, int[] idx, int nnz, int r) {
        float s = 0;
        for (int j = 0; j < nnz; j++) { int c = idx[j]; s = Math.fma(wt[index(r, c, rows, cols)], x[xOff + c], s); }
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
