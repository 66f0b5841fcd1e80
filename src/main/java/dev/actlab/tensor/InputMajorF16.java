package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A half-precision weight matrix W [rows, cols] (y = W x) stored input-major: the halves of column c
 * are the contiguous run {@code wt[c * rows .. c * rows + rows)}, so a GEMV reads only the columns of
 * the kept inputs. Same values as the F16 file; the copy costs rows * cols * 2 bytes beside it.
 */
public final class InputMajorF16 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> SS = VectorSpecies.of(short.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
    private static final int TILE = 1024;

    private final short[] wt;
    private final int rows, cols;

    private InputMajorF16(short[] wt, int rows, int cols) { this.wt = wt; this.rows = rows; this.cols = cols; }

    /** The input-major copy of an F16 matrix (its rows dequantized, each value converted back to the same half). */
    public static InputMajorF16 of(WeightMatrix m) {
        if (m.dtype() != DType.F16) throw new IllegalArgumentException("InputMajorF16 needs an F16 matrix, got " + m.dtype());
        int rows = m.rows(), cols = m.cols();
        if ((long) rows * cols > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("[" + rows + ", " + cols + "] has more than 2^31 weights");
        short[] wt = new short[rows * cols];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            m.dequantizeRow(r, row, 0);
            for (int c = 0; c < cols; c++) wt[c * rows + r] = Float.floatToFloat16(row[c]);
        }
        return new InputMajorF16(wt, rows, cols);
    }

    public int rows() { return rows; }
    public int cols() { return cols; }
    public long byteSize() { return (long) rows * cols * 2; }

    /**
     * out[oOff + r] = sum over j < nnz of W[r, idx[j]] * x[xOff + idx[j]]: only the columns in idx are read.
     * Each output is one chain of fused multiply-adds in the order of idx, so it equals {@link #gemvScalar}
     * bit for bit at any thread count.
     */
    public void gemv(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, Parallel par) {
        check(x, xOff, idx, nnz, out, oOff);
        par.forRange(rows, ColumnChunks.size(rows, nnz, par.threads(), 4 * S.length()), (from, to) -> range(x, xOff, idx, nnz, out, oOff, from, to));
    }

    /** L halves at wt[off] as floats (the conversion of F16Matrix.load, from an array). */
    private FloatVector load(int off) {
        IntVector h = (IntVector) ShortVector.fromArray(SS, wt, off).castShape(I, 0);
        IntVector mag = h.and(0x7fff);
        IntVector shifted = mag.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        IntVector bits = finite.blend(shifted.or(0x7f800000), mag.compare(VectorOperators.GE, 0x7c00));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** As InputMajorF32.range: per tile of rows, four kept columns per pass, the outputs loaded and stored once per pass. */
    private void range(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, int from, int to) {
        int L = S.length();
        for (int t0 = from; t0 < to; t0 += TILE) {
            int t1 = Math.min(to, t0 + TILE), vEnd = t0 + (t1 - t0) / L * L;
            java.util.Arrays.fill(out, oOff + t0, oOff + t1, 0f);
            int j = 0;
            for (; j + 4 <= nnz; j += 4) {
                int c0 = idx[j], c1 = idx[j + 1], c2 = idx[j + 2], c3 = idx[j + 3];
                FloatVector x0 = FloatVector.broadcast(S, x[xOff + c0]), x1 = FloatVector.broadcast(S, x[xOff + c1]);
                FloatVector x2 = FloatVector.broadcast(S, x[xOff + c2]), x3 = FloatVector.broadcast(S, x[xOff + c3]);
                int b0 = c0 * rows, b1 = c1 * rows, b2 = c2 * rows, b3 = c3 * rows;
                int r = t0;
                for (; r < vEnd; r += L) {
                    // the conversion of load(), written out: a helper returning a vector may not be inlined (and would then allocate)
                    IntVector h0 = (IntVector) ShortVector.fromArray(SS, wt, b0 + r).castShape(I, 0);
                    IntVector m0 = h0.and(0x7fff), s0 = m0.lanewise(VectorOperators.LSHL, 13);
                    FloatVector w0 = s0.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().blend(s0.or(0x7f800000), m0.compare(VectorOperators.GE, 0x7c00))
                            .or(h0.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
                    IntVector h1 = (IntVector) ShortVector.fromArray(SS, wt, b1 + r).castShape(I, 0);
                    IntVector m1 = h1.and(0x7fff), s1 = m1.lanewise(VectorOperators.LSHL, 13);
                    FloatVector w1 = s1.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().blend(s1.or(0x7f800000), m1.compare(VectorOperators.GE, 0x7c00))
                            .or(h1.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
                    IntVector h2 = (IntVector) ShortVector.fromArray(SS, wt, b2 + r).castShape(I, 0);
                    IntVector m2 = h2.and(0x7fff), s2 = m2.lanewise(VectorOperators.LSHL, 13);
                    FloatVector w2 = s2.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().blend(s2.or(0x7f800000), m2.compare(VectorOperators.GE, 0x7c00))
                            .or(h2.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
                    IntVector h3 = (IntVector) ShortVector.fromArray(SS, wt, b3 + r).castShape(I, 0);
                    IntVector m3 = h3.and(0x7fff), s3 = m3.lanewise(VectorOperators.LSHL, 13);
                    FloatVector w3 = s3.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().blend(s3.or(0x7f800000), m3.compare(VectorOperators.GE, 0x7c00))
                            .or(h3.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
                    FloatVector y = FloatVector.fromArray(S, out, oOff + r);
                    y = w0.fma(x0, y);
                    y = w1.fma(x1, y);
                    y = w2.fma(x2, y);
                    y = w3.fma(x3, y);
                    y.intoArray(out, oOff + r);
                }
                for (; r < t1; r++) {
                    float y = out[oOff + r];
                    y = Math.fma(Float.float16ToFloat(wt[b0 + r]), x[xOff + c0], y);
                    y = Math.fma(Float.float16ToFloat(wt[b1 + r]), x[xOff + c1], y);
                    y = Math.fma(Float.float16ToFloat(wt[b2 + r]), x[xOff + c2], y);
                    y = Math.fma(Float.float16ToFloat(wt[b3 + r]), x[xOff + c3], y);
                    out[oOff + r] = y;
                }
            }
            for (; j < nnz; j++) {
                int c = idx[j], b = c * rows;
                FloatVector xv = FloatVector.broadcast(S, x[xOff + c]);
                int r = t0;
                for (; r < vEnd; r += L) load(b + r).fma(xv, FloatVector.fromArray(S, out, oOff + r)).intoArray(out, oOff + r);
                for (; r < t1; r++) out[oOff + r] = Math.fma(Float.float16ToFloat(wt[b + r]), x[xOff + c], out[oOff + r]);
            }
        }
    }

    /** Plain scalar reference of {@link #gemv}: the same fused multiply-adds in the same order. */
    public void gemvScalar(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff) {
        check(x, xOff, idx, nnz, out, oOff);
        for (int r = 0; r < rows; r++) {
            float s = 0;
            for (int j = 0; j < nnz; j++) { int c = idx[j]; s = Math.fma(Float.float16ToFloat(wt[c * rows + r]), x[xOff + c], s); }
            out[oOff + r] = s;
        }
    }

    private void check(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff) {
        if (nnz < 0 || nnz > idx.length || nnz > cols) throw new IllegalArgumentException(nnz + " non-zero inputs of " + cols);
        if (xOff < 0 || xOff + cols > x.length) throw new IllegalArgumentException("x of " + x.length + " floats has no " + cols + " inputs at " + xOff);
        if (oOff < 0 || oOff + rows > out.length) throw new IllegalArgumentException("out of " + out.length + " floats has no " + rows + " outputs at " + oOff);
        for (int j = 0; j < nnz; j++)
            if (idx[j] < 0 || idx[j] >= cols) throw new IllegalArgumentException("input index " + idx[j] + " at " + j + " is outside [0, " + cols + ")");
    }
}
