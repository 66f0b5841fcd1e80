package dev.actlab.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Base of the formats stored row after row in a (usually memory-mapped) segment: each row is
 * cols / blockSize blocks of the dtype's ggml layout. Subclasses supply the kernels.
 */
abstract class PackedMatrix implements WeightMatrix {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final MemorySegment data;
    final int rows, cols;
    final long rowBytes;
    final int blocks;       // blocks per row

    PackedMatrix(MemorySegment data, int rows, int cols, DType type) {
        if (rows < 0 || cols < 0 || cols % type.blockSize != 0)
            throw new IllegalArgumentException(type + " [" + rows + ", " + cols + "]: cols must be a multiple of " + type.blockSize);
        this.rowBytes = type.bytesFor(cols);
        if (data.byteSize() < rows * rowBytes)
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes is too small for " + type + " [" + rows + ", " + cols + "]");
        this.data = data; this.rows = rows; this.cols = cols;
        this.blocks = cols / type.blockSize;
    }

    @Override public final int rows() { return rows; }
    @Override public final int cols() { return cols; }
    @Override public final long byteSize() { return rows * rowBytes; }

    /** The raw bytes of the matrix, in ggml layout. */
    public final MemorySegment segment() { return data.asSlice(0, rows * rowBytes); }

    final float half(long offset) { return Float.float16ToFloat(data.get(I16, offset)); }
    final int u8(long offset) { return data.get(ValueLayout.JAVA_BYTE, offset) & 0xFF; }
    final int i8(long offset) { return data.get(ValueLayout.JAVA_BYTE, offset); }

    /**
     * Row-outer: a weight row is read from memory once and stays in L1 while it is applied to
     * all n tokens. Each output is {@link #dot}, so prefill and decode give identical bits.
     */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        if (n < 4) { WeightMatrix.super.matmul(x, n, out, par); return; }
        par.forRange(rows, 16, (from, to) -> {
            for (int r = from; r < to; r++)
                for (int t = 0; t < n; t++) out[t * rows + r] = dot(r, x, t * cols);
        });
    }
}
