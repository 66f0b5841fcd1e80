package dev.actlab.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A K-quant matrix (Q4_K, Q5_K, Q6_K): rows of 256-weight super-blocks. What the three share is built on
 * one method each supplies, {@link #dequantizeBlocks}: the scalar reference dot, whole-row dequantization,
 * and prefill's tiles, which are whole super-blocks (TiledMatmul's KC is 256).
 */
abstract class SuperBlockMatrix extends PackedMatrix implements TiledMatmul.Tiles {
    SuperBlockMatrix(MemorySegment data, int rows, int cols, DType type) { super(data, rows, cols, type); }

    /** dst[off ...] = super-blocks first .. first + count - 1 of the row, dequantized. */
    abstract void dequantizeBlocks(int row, int first, int count, float[] dst, int off);

    /** Plain scalar reference: the row dequantized, then one float sum in column order. */
    @Override public final float dotScalar(int row, float[] x, int xOff) {
        float[] w = new float[cols];
        dequantizeRow(row, w, 0);
        float sum = 0;
        for (int c = 0; c < cols; c++) sum += w[c] * x[xOff + c];
        return sum;
    }

    @Override public final void dequantizeRow(int row, float[] dst, int off) { dequantizeBlocks(row, 0, blocks, dst, off); }

    /** A tile for prefill's GEMM: whole super-blocks only. */
    @Override public final void dequantize(int row, int col, int len, float[] dst, int off) {
        if (col % 256 != 0 || len % 256 != 0)
            throw new IllegalArgumentException(dtype() + " tiles are whole 256-weight super-blocks: col " + col + ", len " + len);
        dequantizeTile(row, col / 256, len / 256, dst, off);
    }

    /**
     * The floats of {@link #dequantizeBlocks} for prefill's tiles; a format overrides it with vector lanes that compute
     * the same products (each weight of the whole model passes here once per prefill).
     */
    void dequantizeTile(int row, int first, int count, float[] dst, int off) { dequantizeBlocks(row, first, count, dst, off); }
}
