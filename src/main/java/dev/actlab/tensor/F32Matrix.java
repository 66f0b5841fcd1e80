package dev.actlab.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Float32 weights, row-major, little-endian, in a (usually memory-mapped) segment. */
public final class F32Matrix implements WeightMatrix {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment data;
    private final int rows, cols;

    public F32Matrix(MemorySegment data, int rows, int cols) {
        if (data.byteSize() < (long) rows * cols * 4)
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes is too small for F32 [" + rows + ", " + cols + "]");
        this.data = data; this.rows = rows; this.cols = cols;
    }

    public static F32Matrix of(float[] values, int rows, int cols) {
        return new F32Matrix(MemorySegment.ofArray(values), rows, cols);
    }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public DType dtype() { return DType.F32; }
    @Override public long byteSize() { return (long) rows * cols * 4; }

    @Override public float dot(int row, float[] x, int xOff) {
        long base = (long) row * cols * 4;
        int upper = S.loopBound(cols);
        FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
        int c = 0;
        int step = S.length();
        for (; c + 2 * step <= upper; c += 2 * step) {
            FloatVector w0 = FloatVector.fromMemorySegment(S, data, base + c * 4L, ByteOrder.LITTLE_ENDIAN);
            FloatVector w1 = FloatVector.fromMemorySegment(S, data, base + (c + step) * 4L, ByteOrder.LITTLE_ENDIAN);
            acc0 = w0.fma(FloatVector.fromArray(S, x, xOff + c), acc0);
            acc1 = w1.fma(FloatVector.fromArray(S, x, xOff + c + step), acc1);
        }
        for (; c < upper; c += step) {
            FloatVector w0 = FloatVector.fromMemorySegment(S, data, base + c * 4L, ByteOrder.LITTLE_ENDIAN);
            acc0 = w0.fma(FloatVector.fromArray(S, x, xOff + c), acc0);
        }
        float sum = Lanes.sum(acc0.add(acc1));
        for (; c < cols; c++) sum += data.get(LE, base + c * 4L) * x[xOff + c];
        return sum;
    }

    @Override public float dotScalar(int row, float[] x, int xOff) {
        long base = (long) row * cols * 4;
        float sum = 0;
        for (int c = 0; c < cols; c++) sum += data.get(LE, base + c * 4L) * x[xOff + c];
        return sum;
    }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        MemorySegment.copy(data, LE, (long) row * cols * 4, dst, off, cols);
    }

    /**
     * Four tokens per weight load: each weight vector is read once for four tokens. Per token the
     * arithmetic is exactly that of {@link #dot}, so prefill and decode give identical bits.
     */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        if (n < 4) { WeightMatrix.super.matmul(x, n, out, par); return; }
        par.forRange(rows, 16, (from, to) -> {
            for (int r = from; r < to; r++) {
                int t = 0;
                for (; t + 4 <= n; t += 4) dot4(r, x, t, out);
                for (; t < n; t++) out[t * rows + r] = dot(r, x, t * cols);
            }
        });
    }

    private void dot4(int row, float[] x, int t, float[] out) {
        long base = (long) row * cols * 4;
        int step = S.length(), upper = S.loopBound(cols);
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(S), b0 = FloatVector.zero(S), a1 = FloatVector.zero(S), b1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S), b2 = FloatVector.zero(S), a3 = FloatVector.zero(S), b3 = FloatVector.zero(S);
        int c = 0;
        for (; c + 2 * step <= upper; c += 2 * step) {
            FloatVector w = FloatVector.fromMemorySegment(S, data, base + c * 4L, ByteOrder.LITTLE_ENDIAN);
            FloatVector u = FloatVector.fromMemorySegment(S, data, base + (c + step) * 4L, ByteOrder.LITTLE_ENDIAN);
            a0 = w.fma(FloatVector.fromArray(S, x, x0 + c), a0); b0 = u.fma(FloatVector.fromArray(S, x, x0 + c + step), b0);
            a1 = w.fma(FloatVector.fromArray(S, x, x1 + c), a1); b1 = u.fma(FloatVector.fromArray(S, x, x1 + c + step), b1);
            a2 = w.fma(FloatVector.fromArray(S, x, x2 + c), a2); b2 = u.fma(FloatVector.fromArray(S, x, x2 + c + step), b2);
            a3 = w.fma(FloatVector.fromArray(S, x, x3 + c), a3); b3 = u.fma(FloatVector.fromArray(S, x, x3 + c + step), b3);
        }
        for (; c < upper; c += step) {
            FloatVector w = FloatVector.fromMemorySegment(S, data, base + c * 4L, ByteOrder.LITTLE_ENDIAN);
            a0 = w.fma(FloatVector.fromArray(S, x, x0 + c), a0);
            a1 = w.fma(FloatVector.fromArray(S, x, x1 + c), a1);
            a2 = w.fma(FloatVector.fromArray(S, x, x2 + c), a2);
            a3 = w.fma(FloatVector.fromArray(S, x, x3 + c), a3);
        }
        float s0 = Lanes.sum(a0.add(b0)), s1 = Lanes.sum(a1.add(b1));
        float s2 = Lanes.sum(a2.add(b2)), s3 = Lanes.sum(a3.add(b3));
        for (; c < cols; c++) {
            float w = data.get(LE, base + c * 4L);
            s0 += w * x[x0 + c]; s1 += w * x[x1 + c]; s2 += w * x[x2 + c]; s3 += w * x[x3 + c];
        }
        out[t * rows + row] = s0; out[(t + 1) * rows + row] = s1; out[(t + 2) * rows + row] = s2; out[(t + 3) * rows + row] = s3;
    }
}
