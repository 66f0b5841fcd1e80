package dev.actlab.sparsity;

import dev.actlab.tensor.DType;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;

/**
 * CATS on one layer's gated MLP, down(SiLU(gate x) * up x): where |SiLU(gate x)[i]| < threshold, the
 * product's entry i is taken as zero, so row i of up need not be computed and column i of down need
 * not be read. The three matrices are replaced by wrappers sharing the mask: gate runs dense and
 * records which entries fall below the threshold; up computes only the kept rows (row-major, the
 * layout it already has); down reads only the kept columns (its input-major copy). The forward pass
 * is untouched: it calls gate, then up, then down, on one thread per forward (the mask is per thread).
 * Threshold 0 skips nothing and every product is the dense one, bit for bit.
 */
final class CatsMlp {
    private final float threshold;
    private final SkipCounter counter;
    private final ThreadLocal<Mask> mask = ThreadLocal.withInitial(Mask::new);
    final WeightMatrix gate, up, down;

    /** The entries of the latest gate output: skip[t * hidden + i]; for one token, the kept ones in idx[0, nnz). */
    private static final class Mask {
        boolean[] skip = new boolean[0];
        int[] idx = new int[0];
        int n, nnz, skipped;
    }

    CatsMlp(WeightMatrix gate, WeightMatrix up, WeightMatrix down, SparseInputMatrix.ColumnKernel downColumns, float threshold, SkipCounter counter) {
        if (!(threshold >= 0)) throw new IllegalArgumentException("threshold " + threshold + " must be >= 0");
        if (gate.rows() != up.rows() || down.cols() != up.rows())
            throw new IllegalArgumentException("gate [" + gate.rows() + "], up [" + up.rows() + "] and down's input [" + down.cols() + "] must share the hidden width");
        this.threshold = threshold; this.counter = counter;
        this.gate = new Wrapper(gate) {
            @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
                inner.matmul(x, n, out, par);
                record(out, n, rows());
            }
        };
        this.up = new Wrapper(up) {
            @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
                Mask m = mask.get();
                if (m.n != n || m.skipped == 0) { inner.matmul(x, n, out, par); return; }
                int rows = rows();
                if (n == 1) {   // the row-skipping form: only the kept rows are read
                    int[] idx = m.idx;
                    java.util.Arrays.fill(out, 0, rows, 0f);
                    par.forRange(m.nnz, Math.max(1, (1 << 15) / Math.max(1, cols())), (from, to) -> {
                        for (int j = from; j < to; j++) out[idx[j]] = inner.dot(idx[j], x, 0);
                    });
                    return;
                }
                inner.matmul(x, n, out, par);
                for (int i = 0; i < n * rows; i++) if (m.skip[i]) out[i] = 0f;
            }
        };
        this.down = new Wrapper(down) {
            @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
                Mask m = mask.get();
                // the skipped entries of x are already zero (up left them at 0); the column kernel just does not read them
                if (n == 1 && m.n == 1 && m.skipped > 0 && downColumns != null) downColumns.gemv(x, 0, m.idx, m.nnz, out, 0, par);
                else inner.matmul(x, n, out, par);
            }
        };
    }

    private void record(float[] g, int n, int hidden) {
        Mask m = mask.get();
        int len = n * hidden;
        if (m.skip.length < len) m.skip = new boolean[len];
        if (m.idx.length < hidden) m.idx = new int[hidden];
        int skipped = 0, nnz = 0;
        for (int i = 0; i < len; i++) {
            boolean s = Math.abs(SiteDistributions.silu(g[i])) < threshold;
            m.skip[i] = s;
            if (s) skipped++;
            else if (n == 1) m.idx[nnz++] = i;
        }
        m.n = n; m.nnz = nnz; m.skipped = skipped;
        if (counter != null) counter.add(len, skipped);
    }

    /** A matrix that answers like inner except in matmul. */
    private abstract static class Wrapper implements WeightMatrix {
        final WeightMatrix inner;
        Wrapper(WeightMatrix inner) { this.inner = inner; }
        @Override public int rows() { return inner.rows(); }
        @Override public int cols() { return inner.cols(); }
        @Override public DType dtype() { return inner.dtype(); }
        @Override public long byteSize() { return inner.byteSize(); }
        @Override public float dot(int row, float[] x, int xOff) { return inner.dot(row, x, xOff); }
        @Override public float dotScalar(int row, float[] x, int xOff) { return inner.dotScalar(row, x, xOff); }
        @Override public void dequantizeRow(int row, float[] dst, int off) { inner.dequantizeRow(row, dst, off); }
    }
}
