package dev.actlab.sparsity;

import dev.actlab.tensor.DType;
import dev.actlab.tensor.InputMajorF16;
import dev.actlab.tensor.InputMajorF32;
import dev.actlab.tensor.InputMajorQ4;
import dev.actlab.tensor.InputMajorQ8;
import dev.actlab.tensor.KeptInputs;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.Q4_0Matrix;
import dev.actlab.tensor.WeightMatrix;

/**
 * A weight matrix whose input is sparsified by magnitude (TEAL): y = W s(x) with s(x)[i] = 0 where
 * |x[i]| < threshold, else x[i]. The caller's x is never modified.
 *
 * <p>Decoding one token with an input-major copy of W, only the columns of the kept inputs are read
 * ({@link InputMajorF32#gemv}): that is where the speed comes from. Prefill (n > 1), or no copy,
 * runs the dense kernel on the zeroed input (same result up to the order of the sums). When no input
 * falls below the threshold the dense kernel runs on x itself, so threshold 0 equals the dense
 * path bit for bit.
 */
public final class SparseInputMatrix implements WeightMatrix {
    private final WeightMatrix dense;
    /** A GEMV over the kept inputs only, on an input-major copy of the matrix. */
    public interface ColumnKernel {
        int rows();
        int cols();
        /** The length of a kept input's column in this copy (more than rows for a view of a stacked copy). */
        default int columnRows() { return rows(); }
        long byteSize();
        void gemv(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, Parallel par);

        static ColumnKernel of(InputMajorF32 m) {
            return m == null ? null : new ColumnKernel() {
                public int rows() { return m.rows(); }
                public int cols() { return m.cols(); }
                public long byteSize() { return m.byteSize(); }
                public void gemv(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, Parallel par) { m.gemv(x, xOff, idx, nnz, out, oOff, par); }
            };
        }

        /** The input-major copy of m when its format has a column kernel (F32, F16, Q8_0, Q4_0), else null. */
        static ColumnKernel build(WeightMatrix m) {
            return switch (m.dtype()) {
                case F32 -> of(InputMajorF32.of(m));
                case F16 -> adapt(InputMajorF16.of(m));
                case Q8_0 -> of(InputMajorQ8.of(m));
                case Q4_0 -> m instanceof Q4_0Matrix ? adapt(InputMajorQ4.of(m)) : null;
                default -> null;
            };
        }

        private static ColumnKernel adapt(InputMajorF16 m) {
            return new ColumnKernel() {
                public int rows() { return m.rows(); }
                public int cols() { return m.cols(); }
                public long byteSize() { return m.byteSize(); }
                public void gemv(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, Parallel par) { m.gemv(x, xOff, idx, nnz, out, oOff, par); }
            };
        }

        private static ColumnKernel adapt(InputMajorQ4 m) {
            return new ColumnKernel() {
                public int rows() { return m.rows(); }
                public int cols() { return m.cols(); }
                public long byteSize() { return m.byteSize(); }
                public void gemv(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, Parallel par) { m.gemv(x, xOff, idx, nnz, out, oOff, par); }
            };
        }

        static ColumnKernel of(InputMajorQ8 m) {
            return m == null ? null : new ColumnKernel() {
                public int rows() { return m.rows(); }
                public int cols() { return m.cols(); }
                public long byteSize() { return m.byteSize(); }
                public void gemv(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, Parallel par) { m.gemv(x, xOff, idx, nnz, out, oOff, par); }
            };
        }
    }

    private final ColumnKernel columns;    // may be null: dense kernel on the zeroed input
    private final float threshold;
    private final SkipCounter counter;     // may be null
    private final float[] scale;           // WINA: input i is skipped when |x[i]| * scale[i] < threshold; null: |x[i]| < threshold
    private final float[] channel;         // CHESS: input i is skipped when |x[i]| < channel[i] (threshold unused); or null

    public SparseInputMatrix(WeightMatrix dense, ColumnKernel columns, float threshold, SkipCounter counter) {
        this(dense, columns, threshold, null, null, counter);
    }

    public SparseInputMatrix(WeightMatrix dense, ColumnKernel columns, float threshold, float[] scale, SkipCounter counter) {
        this(dense, columns, threshold, scale, null, counter);
    }

    public SparseInputMatrix(WeightMatrix dense, ColumnKernel columns, float threshold, float[] scale, float[] channel, SkipCounter counter) {
        if (scale != null && scale.length != dense.cols()) throw new IllegalArgumentException(scale.length + " scales for " + dense.cols() + " inputs");
        if (channel != null && channel.length != dense.cols())
            throw new IllegalArgumentException(channel.length + " channel thresholds for a matrix of " + dense.cols() + " inputs");
        this.scale = scale;
        this.channel = channel;
        if (!(threshold >= 0)) throw new IllegalArgumentException("threshold " + threshold + " must be >= 0");
        if (columns != null && (columns.rows() != dense.rows() || columns.cols() != dense.cols()))
            throw new IllegalArgumentException("input-major copy [" + columns.rows() + ", " + columns.cols() + "] does not match [" + dense.rows() + ", " + dense.cols() + "]");
        this.dense = dense; this.columns = columns; this.threshold = threshold; this.counter = counter;
    }

    /**
     * Benchmarks only (`SparseDecodeAB`, -Dactlab.timeSparseDecode): the wall time of one-token products, split into
     * building the kept-index list and the GEMV itself (stacked views that copy their rows count as GEMV).
     */
    public static volatile boolean timeDecode = Boolean.getBoolean("actlab.timeSparseDecode");
    public static final java.util.concurrent.atomic.LongAdder INDEX_NANOS = new java.util.concurrent.atomic.LongAdder(),
            GEMV_NANOS = new java.util.concurrent.atomic.LongAdder();
    /** Benchmarks only: GEMV time by the matrix's shape (rows x cols). */
    public static final java.util.Map<String, java.util.concurrent.atomic.LongAdder> SHAPE_NANOS = new java.util.concurrent.ConcurrentSkipListMap<>();

    /**
     * Benchmarks only (`SparseDecodeAB` setting sparsity.SparseInputMatrix.forceDense=true): one-token products run the
     * dense kernel on x itself (the dense model's bits), timed like the column GEMVs, so one harness splits a dense
     * token into its block matmuls and the rest.
     */
    static volatile boolean forceDense = false;

    public WeightMatrix dense() { return dense; }
    public float threshold() { return threshold; }
    /** Whether any input can be skipped. */
    public boolean active() { return threshold > 0 || channel != null; }
    public ColumnKernel columns() { return columns; }

    @Override public int rows() { return dense.rows(); }
    @Override public int cols() { return dense.cols(); }
    @Override public DType dtype() { return dense.dtype(); }
    @Override public long byteSize() { return dense.byteSize(); }
    @Override public void dequantizeRow(int row, float[] dst, int off) { dense.dequantizeRow(row, dst, off); }

    @Override public float dot(int row, float[] x, int xOff) { return dense.dot(row, zeroed(x, xOff, 1), 0); }
    @Override public float dotScalar(int row, float[] x, int xOff) { return dense.dotScalar(row, zeroed(x, xOff, 1), 0); }

    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        int cols = cols();
        if (n == 1 && columns != null) {
            boolean timed = timeDecode;
            long t0 = timed ? System.nanoTime() : 0;
            int[] idx = indexArray(cols);
            int nnz = keptIndices(x, idx);
            if (counter != null) counter.add(cols, cols - nnz);
            long t1 = timed ? System.nanoTime() : 0;
            if (nnz == cols || forceDense) dense.matmul(x, 1, out, par);
            else columns.gemv(x, 0, idx, nnz, out, 0, par);
            if (timed) {
                long g = System.nanoTime() - t1;
                INDEX_NANOS.add(t1 - t0); GEMV_NANOS.add(g);
                SHAPE_NANOS.computeIfAbsent(rows() + "x" + cols + (columns.columnRows() != rows() ? " (stacked " + columns.columnRows() + ")" : ""), k -> new java.util.concurrent.atomic.LongAdder()).add(g);
            }
            return;
        }
        float[] xs = new float[n * cols];
        long skipped = 0;
        for (int i = 0; i < n * cols; i++) {
            float v = x[i];
            if (skip(v, i % cols)) skipped++;
            else xs[i] = v;
        }
        if (counter != null) counter.add((long) n * cols, skipped);
        dense.matmul(skipped == 0 ? x : xs, n, out, par);
    }

    /**
     * Zeroes in place the entries of rows [n, cols] at off that this matrix skips: the hook form of the
     * sparsification, so that a hook at the site sees what the matmul reads. mul (or null) is a per-input
     * factor the forward pass applies after the hook (an RMSNorm weight): entry i is judged as v[i] * mul[i],
     * the product the matmul will see, so the zeros here are exactly its skipped inputs.
     */
    public void zeroSkipped(float[] v, int off, int n, float[] mul) {
        int cols = cols();
        if (channel == null && scale == null && branchFree) {
            if (vectorLists) KeptInputs.zeroSkipped(v, off, n, cols, mul, threshold);
            else {
                // as keptIndices: no branch per entry; a skipped entry's bits are masked to +0
                float th = threshold;
                for (int t = 0; t < n; t++)
                    for (int i = 0; i < cols; i++) {
                        int j = off + t * cols + i;
                        float a = v[j];
                        int keep = Math.abs(mul == null ? a : a * mul[i]) < th ? 0 : -1;
                        v[j] = Float.intBitsToFloat(Float.floatToRawIntBits(a) & keep);
                    }
            }
            return;
        }
        for (int t = 0; t < n; t++)
            for (int i = 0; i < cols; i++) {
                int j = off + t * cols + i;
                if (skip(mul == null ? v[j] : v[j] * mul[i], i)) v[j] = 0f;
            }
    }

    /** The complement of the sparsification, in place on rows [n, cols]: the skipped entries stay, the kept ones become 0 (x - s(x)). */
    void keepSkipped(float[] v, int n) {
        int cols = cols();
        for (int j = 0; j < n * cols; j++) if (!skip(v[j], j % cols)) v[j] = 0f;
    }

    /**
     * The kept inputs of x, in increasing order, into idx (of at least cols); returns how many. With one
     * threshold this runs without a branch per input (every index is written, the count advances by the
     * comparison): kept and skipped inputs alternate at random, and a branch on each mispredicted about every
     * other input (0.9 ms a 110M token at 2 threads, 50%, `SparseDecodeAB -Dactlab.timeSparseDecode=true`).
     */
    /**
     * The decoding thread's kept-index array, at least cols long, reused from product to product (a column GEMV
     * and a stacked copy read it only during the call: `StackedColumns` keeps a copy). A fresh array per product
     * was 84 arrays, ~0.3 MB of garbage, a 110M token. reuseIndexArrays false: a fresh array (benchmarks only).
     */
    private static int[] indexArray(int cols) {
        if (!reuseIndexArrays) return new int[cols];
        int[] idx = INDEX_ARRAY.get();
        if (idx.length < cols) INDEX_ARRAY.set(idx = new int[cols]);
        return idx;
    }

    private static final ThreadLocal<int[]> INDEX_ARRAY = ThreadLocal.withInitial(() -> new int[0]);
    static volatile boolean reuseIndexArrays = true;

    static volatile boolean branchFree = true;   // benchmarks only (SparseDecodeAB): false is the previous loop
    /**
     * The one-threshold list and zeroing eight inputs a step ({@link KeptInputs}); false: the branch-free scalar
     * loops (benchmarks only, `SparseDecodeAB` setting sparsity.SparseInputMatrix.vectorLists=false). Same results.
     */
    static volatile boolean vectorLists = true;

    int keptIndices(float[] x, int[] idx) {
        int cols = cols(), nnz = 0;
        if (channel == null && scale == null && branchFree && vectorLists) return KeptInputs.indices(x, 0, cols, threshold, idx);
        if (channel == null && scale == null && branchFree) {
            float th = threshold;
            for (int i = 0; i < cols; i++) { idx[nnz] = i; nnz += Math.abs(x[i]) < th ? 0 : 1; }
        } else for (int i = 0; i < cols; i++) if (!skip(x[i], i)) idx[nnz++] = i;
        return nnz;
    }

    private boolean skip(float v, int i) {
        if (channel != null) return Math.abs(v) < channel[i];
        return scale == null ? Math.abs(v) < threshold : Math.abs(v) * scale[i] < threshold;
    }

    /** s(x) for n rows starting at xOff, as a fresh array. */
    private float[] zeroed(float[] x, int xOff, int n) {
        float[] xs = new float[n * cols()];
        for (int i = 0; i < xs.length; i++) { float v = x[xOff + i]; xs[i] = skip(v, i % cols()) ? 0f : v; }
        return xs;
    }
}
