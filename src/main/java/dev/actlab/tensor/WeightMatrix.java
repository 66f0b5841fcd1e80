package dev.actlab.tensor;

/**
 * A weight matrix W [rows, cols] in its stored format, used as y = W x (rows are output
 * features). Quantized formats are executed natively: implementations dequantize inside the
 * dot product, never the whole matrix up front.
 */
public interface WeightMatrix {
    int rows();
    int cols();
    DType dtype();

    /** W[row, :] . x[xOff : xOff + cols], vectorized. */
    float dot(int row, float[] x, int xOff);

    /** Plain scalar reference of {@link #dot}: the kernel tests compare against it. */
    float dotScalar(int row, float[] x, int xOff);

    /** Writes W[row, :] as float32 into dst[off : off + cols]. */
    void dequantizeRow(int row, float[] dst, int off);

    /** Bytes of weight data streamed by one pass over the matrix. */
    long byteSize();

    /**
     * out[t, r] = W[r, :] . x[t, :] for t in [0, n): x is [n, cols], out is [n, rows].
     * Rows are split across threads; each output is computed by one thread in a fixed order.
     */
    default void matmul(float[] x, int n, float[] out, Parallel par) {
        int rows = rows(), cols = cols();
        par.forRange(rows, 16, (from, to) -> {
            for (int t = 0; t < n; t++) {
                int xOff = t * cols, oOff = t * rows;
                for (int r = from; r < to; r++) out[oOff + r] = dot(r, x, xOff);
            }
        });
    }

    /**
     * Rows [from, to) of {@link #matmul} for n tokens (decode: n < 4), the same bits: lets several
     * matrices that read the same x share one parallel region ({@link MatmulGroup}).
     */
    default void matmulRows(float[] x, int n, float[] out, int from, int to) {
        int rows = rows(), cols = cols();
        for (int t = 0; t < n; t++) for (int r = from; r < to; r++) out[t * rows + r] = dot(r, x, t * cols);
    }
}
