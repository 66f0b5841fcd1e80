package dev.actlab.sparsity;

import dev.actlab.tensor.DType;
import dev.actlab.tensor.InputMajorF32;
import dev.actlab.tensor.InputMajorQ8;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;
import java.util.Arrays;

/**
 * One input-major copy of matrices that read the same input (q, k, v; gate, up), stacked by rows, and a
 * {@link SparseInputMatrix.ColumnKernel} view for each. Why: a kept input's column is then as long as
 * the matrices' rows together (110M shape, F32: 9 KiB for q, k, v instead of three 3 KiB runs; Q8_0:
 * 2,304 bytes instead of 768), and long runs are what make skipping fast; and decode hands work to the
 * threads once for the three matrices instead of three times.
 *
 * <p>Decoding calls the views one after the other with the same x: the first computes the whole stacked
 * product and keeps it with a copy of x and the kept indices; a later view whose x and indices are equal
 * to the kept ones (compared, never assumed) copies its rows from it, else the product is computed again.
 * The bits of a row are those of the matrix's own column kernel: a row's chain depends only on the kept
 * inputs (`ColumnChunks`), not on which rows are computed with it. Not for concurrent decodes of one model.
 */
final class StackedColumns {
    /** The stacked product: rows [starts[i], starts[i + 1]) are matrix i's. */
    private final SparseInputMatrix.ColumnKernel stacked;
    private final WeightMatrix[] parts;
    private final int[] starts;
    private final float[] product;
    private final float[] savedX;
    private int[] savedIdx = new int[0];
    private int savedNnz = -1;

    private StackedColumns(SparseInputMatrix.ColumnKernel stacked, WeightMatrix[] parts) {
        this.stacked = stacked; this.parts = parts;
        starts = new int[parts.length + 1];
        for (int i = 0; i < parts.length; i++) starts[i + 1] = starts[i] + parts[i].rows();
        product = new float[starts[parts.length]];
        savedX = new float[stacked.cols()];
    }

    /** The stacked copy of ms when all are F32 or all Q8_0 (the column kernels that split by columns), else null. */
    static StackedColumns of(WeightMatrix... ms) {
        DType t = ms[0].dtype();
        for (WeightMatrix m : ms) if (m.dtype() != t || m.cols() != ms[0].cols()) return null;
        SparseInputMatrix.ColumnKernel k = switch (t) {
            case F32 -> SparseInputMatrix.ColumnKernel.of(InputMajorF32.ofStacked(ms));
            case Q8_0 -> SparseInputMatrix.ColumnKernel.of(InputMajorQ8.ofStacked(ms));
            default -> null;
        };
        return k == null ? null : new StackedColumns(k, ms.clone());
    }

    /** The column kernel of matrix i: its rows of the stacked product; byteSize is its share of the copy. */
    SparseInputMatrix.ColumnKernel view(int i) {
        return new SparseInputMatrix.ColumnKernel() {
            public int rows() { return parts[i].rows(); }
            public int cols() { return stacked.cols(); }
            public int columnRows() { return stacked.rows(); }
            public long byteSize() { return stacked.byteSize() / stacked.rows() * rows(); }
            public void gemv(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, Parallel par) { StackedColumns.this.gemv(i, x, xOff, idx, nnz, out, oOff, par); }
        };
    }

    private synchronized void gemv(int i, float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, Parallel par) {
        int cols = stacked.cols();
        if (!(nnz == savedNnz && Arrays.equals(x, xOff, xOff + cols, savedX, 0, cols) && Arrays.equals(idx, 0, nnz, savedIdx, 0, nnz))) {
            savedNnz = -1;   // invalid until the product is complete (an exception leaves it so)
            stacked.gemv(x, xOff, idx, nnz, product, 0, par);
            System.arraycopy(x, xOff, savedX, 0, cols);
            if (savedIdx.length < nnz) savedIdx = new int[cols];
            System.arraycopy(idx, 0, savedIdx, 0, nnz);
            savedNnz = nnz;
        }
        if (oOff < 0 || oOff + parts[i].rows() > out.length) throw new IllegalArgumentException("out of " + out.length + " floats has no " + parts[i].rows() + " outputs at " + oOff);
        System.arraycopy(product, starts[i], out, oOff, parts[i].rows());
    }
}
