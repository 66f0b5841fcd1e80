package dev.actlab.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A weight matrix W [rows, cols] (y = W x) stored input-major as float32: column c of W, the weights
 * that input x[c] multiplies, is the contiguous run of rows floats at float index c * stride of an
 * off-heap, page-aligned segment. With this layout a GEMV whose input is mostly zero reads only the
 * columns of the non-zero inputs (activation sparsity: TEAL, CATS, WINA).
 *
 * <p>Why the stride: the memory system fetches whole 4 KiB pages once a run in them is read (measured
 * with ColumnKernelBench on Zen 3: skipping runs shorter than a page saved no time), so a skipped
 * column saves traffic only if it owns its pages. A column of more than 512 rows therefore starts on a
 * page and takes whole pages (stride = rows rounded up to 1024 floats: 768 rows take 1024, a third
 * unused); 512 rows or fewer are packed (rounding would read as much as the dense matrix). The copy
 * costs stride * cols * 4 bytes beside the original matrix (which the dense path keeps using).
 */
public final class InputMajorF32 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Multiply-adds below which a GEMV stays on one thread. */
    private static final long MIN_CHUNK_WORK = 1 << 15;

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final int PAGE_FLOATS = 1024;

    private final MemorySegment wt;   // W[r, c] at float index c * stride + r
    private final int rows, cols, stride;

    private InputMajorF32(int rows, int cols) {
        if (rows < 1 || cols < 1) throw new IllegalArgumentException("[" + rows + ", " + cols + "] is empty");
        this.rows = rows; this.cols = cols;
        this.stride = rows <= PAGE_FLOATS / 2 ? rows : (rows + PAGE_FLOATS - 1) / PAGE_FLOATS * PAGE_FLOATS;
        this.wt = Arena.ofAuto().allocate((long) stride * cols * 4, 4096);
    }

    /** The input-major float32 copy of m (dequantized row by row). */
    public static InputMajorF32 of(WeightMatrix m) {
        int rows = m.rows(), cols = m.cols();
        InputMajorF32 t = new InputMajorF32(rows, cols);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            m.dequantizeRow(r, row, 0);
            for (int c = 0; c < cols; c++) t.wt.setAtIndex(F, (long) c * t.stride + r, row[c]);
        }
        return t;
    }

    /** From values already input-major: colMajor[c * rows + r] = W[r, c]. */
    public static InputMajorF32 ofInputMajor(float[] colMajor, int rows, int cols) {
        if (colMajor.length != (long) rows * cols) throw new IllegalArgumentException(colMajor.length + " values for [" + rows + ", " + cols + "]");
        InputMajorF32 t = new InputMajorF32(rows, cols);
        for (int c = 0; c < cols; c++) MemorySegment.copy(colMajor, c * rows, t.wt, F, (long) c * t.stride * 4, rows);
        return t;
    }

    public int rows() { return rows; }
    public int cols() { return cols; }
    /** Bytes of this copy (the extra memory the layout costs), page padding included. */
    public long byteSize() { return wt.byteSize(); }

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

    /** Rows per tile, one page of each kept column: the tile's outputs (4 KiB) stay in L1 while the kept columns stream past. */
    private static final int TILE = PAGE_FLOATS;

    /**
     * Rows [from, to): for each tile of rows, the outputs start at zero and every kept column j adds
     * W[r, idx[j]] * x[idx[j]] in order, four columns per pass over the tile (the weights of a column
     * are contiguous, so each pass streams four runs of memory; the outputs are loaded and stored once
     * per four columns; eight columns per pass while eight remain). The fused multiply-adds per output are the same chain as {@link #rowScalar}.
     */
    private void range(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, int from, int to) {
        int L = S.length();
        for (int t0 = from; t0 < to; t0 += TILE) {
            int t1 = Math.min(to, t0 + TILE), vEnd = t0 + (t1 - t0) / L * L;
            java.util.Arrays.fill(out, oOff + t0, oOff + t1, 0f);
            int j = 0;
            for (; j + 8 <= nnz; j += 8) {
                int c0 = idx[j], c1 = idx[j + 1], c2 = idx[j + 2], c3 = idx[j + 3], c4 = idx[j + 4], c5 = idx[j + 5], c6 = idx[j + 6], c7 = idx[j + 7];
                FloatVector x0 = FloatVector.broadcast(S, x[xOff + c0]), x1 = FloatVector.broadcast(S, x[xOff + c1]);
                FloatVector x2 = FloatVector.broadcast(S, x[xOff + c2]), x3 = FloatVector.broadcast(S, x[xOff + c3]);
                FloatVector x4 = FloatVector.broadcast(S, x[xOff + c4]), x5 = FloatVector.broadcast(S, x[xOff + c5]);
                FloatVector x6 = FloatVector.broadcast(S, x[xOff + c6]), x7 = FloatVector.broadcast(S, x[xOff + c7]);
                long b0 = 4L * c0 * stride, b1 = 4L * c1 * stride, b2 = 4L * c2 * stride, b3 = 4L * c3 * stride;
                long b4 = 4L * c4 * stride, b5 = 4L * c5 * stride, b6 = 4L * c6 * stride, b7 = 4L * c7 * stride;
                int r = t0;
                for (; r < vEnd; r += L) {
                    FloatVector y = FloatVector.fromArray(S, out, oOff + r);
                    long o = 4L * r;
                    y = FloatVector.fromMemorySegment(S, wt, b0 + o, NATIVE).fma(x0, y);
                    y = FloatVector.fromMemorySegment(S, wt, b1 + o, NATIVE).fma(x1, y);
                    y = FloatVector.fromMemorySegment(S, wt, b2 + o, NATIVE).fma(x2, y);
                    y = FloatVector.fromMemorySegment(S, wt, b3 + o, NATIVE).fma(x3, y);
                    y = FloatVector.fromMemorySegment(S, wt, b4 + o, NATIVE).fma(x4, y);
                    y = FloatVector.fromMemorySegment(S, wt, b5 + o, NATIVE).fma(x5, y);
                    y = FloatVector.fromMemorySegment(S, wt, b6 + o, NATIVE).fma(x6, y);
                    y = FloatVector.fromMemorySegment(S, wt, b7 + o, NATIVE).fma(x7, y);
                    y.intoArray(out, oOff + r);
                }
                for (; r < t1; r++) {
                    float y = out[oOff + r];
                    long o = 4L * r;
                    y = Math.fma(wt.get(F, b0 + o), x[xOff + c0], y);
                    y = Math.fma(wt.get(F, b1 + o), x[xOff + c1], y);
                    y = Math.fma(wt.get(F, b2 + o), x[xOff + c2], y);
                    y = Math.fma(wt.get(F, b3 + o), x[xOff + c3], y);
                    y = Math.fma(wt.get(F, b4 + o), x[xOff + c4], y);
                    y = Math.fma(wt.get(F, b5 + o), x[xOff + c5], y);
                    y = Math.fma(wt.get(F, b6 + o), x[xOff + c6], y);
                    y = Math.fma(wt.get(F, b7 + o), x[xOff + c7], y);
                    out[oOff + r] = y;
                }
            }
            for (; j + 4 <= nnz; j += 4) {
                int c0 = idx[j], c1 = idx[j + 1], c2 = idx[j + 2], c3 = idx[j + 3];
                FloatVector x0 = FloatVector.broadcast(S, x[xOff + c0]), x1 = FloatVector.broadcast(S, x[xOff + c1]);
                FloatVector x2 = FloatVector.broadcast(S, x[xOff + c2]), x3 = FloatVector.broadcast(S, x[xOff + c3]);
                long b0 = 4L * c0 * stride, b1 = 4L * c1 * stride, b2 = 4L * c2 * stride, b3 = 4L * c3 * stride;
                int r = t0;
                for (; r < vEnd; r += L) {
                    FloatVector y = FloatVector.fromArray(S, out, oOff + r);
                    long o = 4L * r;
                    y = FloatVector.fromMemorySegment(S, wt, b0 + o, NATIVE).fma(x0, y);
                    y = FloatVector.fromMemorySegment(S, wt, b1 + o, NATIVE).fma(x1, y);
                    y = FloatVector.fromMemorySegment(S, wt, b2 + o, NATIVE).fma(x2, y);
                    y = FloatVector.fromMemorySegment(S, wt, b3 + o, NATIVE).fma(x3, y);
                    y.intoArray(out, oOff + r);
                }
                for (; r < t1; r++) {
                    float y = out[oOff + r];
                    long o = 4L * r;
                    y = Math.fma(wt.get(F, b0 + o), x[xOff + c0], y);
                    y = Math.fma(wt.get(F, b1 + o), x[xOff + c1], y);
                    y = Math.fma(wt.get(F, b2 + o), x[xOff + c2], y);
                    y = Math.fma(wt.get(F, b3 + o), x[xOff + c3], y);
                    out[oOff + r] = y;
                }
            }
            for (; j < nnz; j++) {
                int c = idx[j];
                long b = 4L * c * stride;
                FloatVector xv = FloatVector.broadcast(S, x[xOff + c]);
                int r = t0;
                for (; r < vEnd; r += L) FloatVector.fromMemorySegment(S, wt, b + 4L * r, NATIVE).fma(xv, FloatVector.fromArray(S, out, oOff + r)).intoArray(out, oOff + r);
                for (; r < t1; r++) out[oOff + r] = Math.fma(wt.get(F, b + 4L * r), x[xOff + c], out[oOff + r]);
            }
        }
    }

    /** Plain scalar reference of {@link #gemv}: the same fused multiply-adds in the same order. */
    public void gemvScalar(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff) {
        check(x, xOff, idx, nnz, out, oOff);
        for (int r = 0; r < rows; r++) out[oOff + r] = rowScalar(x, xOff, idx, nnz, r);
    }

    private float rowScalar(float[] x, int xOff, int[] idx, int nnz, int r) {
        float s = 0;
        for (int j = 0; j < nnz; j++) { int c = idx[j]; s = Math.fma(wt.getAtIndex(F, (long) c * stride + r), x[xOff + c], s); }
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
