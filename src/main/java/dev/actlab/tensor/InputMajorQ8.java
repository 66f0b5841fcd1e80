package dev.actlab.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q8_0 weight matrix W [rows, cols] (blocks of 32 inputs share a scale per row) stored input-major in
 * strips of {@link #STRIP} rows: within strip s (rows [s0, s0 + h), s0 = s * STRIP), the int8 quants of
 * column c are the contiguous run {@code q[s0 * cols + c * h ..)}, the scales of input block b the run
 * {@code d[s0 * (cols / 32) + b * h ..)} as float32. Same values as the Q8_0 file, for a GEMV that reads
 * only the kept inputs' runs, each strip forward in memory with its outputs in registers. Memory: rows *
 * cols bytes of quants plus rows * cols / 8 bytes of scales (1.125 bytes per weight; the row-major Q8_0
 * reads 1.0625).
 */
public final class InputMajorQ8 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(S.vectorBitSize() / 4));
    /** Rows per strip: eight vectors of block sums, kept in registers while a block's kept columns stream past. */
    public static final int STRIP = 8 * S.length();
    private static final long MIN_CHUNK_WORK = 1 << 15;

    private final byte[] q;
    private final float[] d;
    private final int rows, cols;

    private InputMajorQ8(byte[] q, float[] d, int rows, int cols) { this.q = q; this.d = d; this.rows = rows; this.cols = cols; }

    /**
     * The input-major copy of a Q8_0 matrix, recovered from its dequantized rows: a block's scale is
     * max|w| / 127 (Q8_0 maps each block's largest magnitude to 127). Returns null when that does not
     * reproduce every weight exactly (a block quantized some other way): the caller then keeps the dense path.
     */
    public static InputMajorQ8 of(WeightMatrix m) {
        int rows = m.rows(), cols = m.cols();
        if (m.dtype() != DType.Q8_0) throw new IllegalArgumentException("InputMajorQ8 needs a Q8_0 matrix, got " + m.dtype());
        if (cols % 32 != 0 || (long) rows * cols > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("[" + rows + ", " + cols + "] does not fit");
        byte[] q = new byte[rows * cols];
        float[] d = new float[rows * (cols / 32)];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            m.dequantizeRow(r, row, 0);
            for (int b = 0; b < cols / 32; b++) {
                float amax = 0;
                for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(row[b * 32 + i]));
                float scale = amax / 127f;
                d[index(r, b, rows, cols / 32)] = scale;
                for (int i = 0; i < 32; i++) {
                    float w = row[b * 32 + i];
                    int v = scale == 0 ? 0 : Math.round(w / scale);
                    if (v < -127 || v > 127 || v * scale != w) return null;
                    q[index(r, b * 32 + i, rows, cols)] = (byte) v;
                }
            }
        }
        return new InputMajorQ8(q, d, rows, cols);
    }

    /** Where entry [r, c] of a [rows, n] array lives: strip r / STRIP, column c's run of that strip's height, row r's place in it. */
    private static int index(int r, int c, int rows, int n) {
        int s0 = r - r % STRIP, h = Math.min(STRIP, rows - s0);
        return s0 * n + c * h + (r - s0);
    }

    public int rows() { return rows; }
    public int cols() { return cols; }
    public long byteSize() { return q.length + 4L * d.length; }

    /**
     * out[oOff + r] = sum over the input blocks of d[b, r] * (sum over the kept inputs c of block b, in the
     * order of idx, of q[c, r] * x[c]): idx must be increasing. Only the kept columns and the scales of
     * blocks with a kept input are read. Equals {@link #gemvScalar} bit for bit at any thread count.
     */
    public void gemv(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, Parallel par) {
        check(x, xOff, idx, nnz, out, oOff);
        int strips = (rows + STRIP - 1) / STRIP;
        long work = Math.max(1L, (long) nnz * STRIP);
        int grain = (int) Math.max(1, Math.min(strips, MIN_CHUNK_WORK / work));
        par.forRange(strips, grain, (from, to) -> {
            for (int s = from; s < to; s++) {
                int r0 = s * STRIP;
                if (rows - r0 >= STRIP) strip(x, xOff, idx, nnz, out, oOff + r0, r0 * cols, r0 * (cols / 32));
                else for (int r = r0; r < rows; r++) out[oOff + r] = rowScalar(x, xOff, idx, nnz, r);
            }
        });
    }

    /**
     * One full strip: per input block with kept inputs, eight vectors of block sums start at zero and each
     * kept column adds its run of quants times x[c] (in the order of idx); then out += scales * sums. The
     * strip's runs of increasing columns lie at increasing addresses, so it is read forward.
     */
    private void strip(float[] x, int xOff, int[] idx, int nnz, float[] out, int o, int qBase, int dBase) {
        int L = S.length();
        java.util.Arrays.fill(out, o, o + STRIP, 0f);
        int j = 0;
        while (j < nnz) {
            int b = idx[j] >> 5;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (; j < nnz && (idx[j] >> 5) == b; j++) {
                int c = idx[j], p = qBase + c * STRIP;
                FloatVector xv = FloatVector.broadcast(S, x[xOff + c]);
                a0 = widen(p).fma(xv, a0);
                a1 = widen(p + L).fma(xv, a1);
                a2 = widen(p + 2 * L).fma(xv, a2);
                a3 = widen(p + 3 * L).fma(xv, a3);
                a4 = widen(p + 4 * L).fma(xv, a4);
                a5 = widen(p + 5 * L).fma(xv, a5);
                a6 = widen(p + 6 * L).fma(xv, a6);
                a7 = widen(p + 7 * L).fma(xv, a7);
            }
            int sb = dBase + b * STRIP;
            scaleAdd(sb, a0, out, o); scaleAdd(sb + L, a1, out, o + L); scaleAdd(sb + 2 * L, a2, out, o + 2 * L); scaleAdd(sb + 3 * L, a3, out, o + 3 * L);
            scaleAdd(sb + 4 * L, a4, out, o + 4 * L); scaleAdd(sb + 5 * L, a5, out, o + 5 * L); scaleAdd(sb + 6 * L, a6, out, o + 6 * L); scaleAdd(sb + 7 * L, a7, out, o + 7 * L);
        }
    }

    private FloatVector widen(int p) { return (FloatVector) ByteVector.fromArray(BS, q, p).convertShape(VectorOperators.B2F, S, 0); }

    /** out[o ..] = d[sb ..] * sums + out[o ..], one vector. */
    private void scaleAdd(int sb, FloatVector sums, float[] out, int o) {
        FloatVector.fromArray(S, d, sb).fma(sums, FloatVector.fromArray(S, out, o)).intoArray(out, o);
    }

    /** Plain scalar reference of {@link #gemv}: the same fused multiply-adds in the same order. */
    public void gemvScalar(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff) {
        check(x, xOff, idx, nnz, out, oOff);
        for (int r = 0; r < rows; r++) out[oOff + r] = rowScalar(x, xOff, idx, nnz, r);
    }

    private float rowScalar(float[] x, int xOff, int[] idx, int nnz, int r) {
        float y = 0;
        int j = 0;
        while (j < nnz) {
            int b = idx[j] >> 5;
            float a = 0;
            for (; j < nnz && (idx[j] >> 5) == b; j++) a = Math.fma(q[index(r, idx[j], rows, cols)], x[xOff + idx[j]], a);
            y = Math.fma(d[index(r, b, rows, cols / 32)], a, y);
        }
        return y;
    }

    private void check(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff) {
        if (nnz < 0 || nnz > idx.length || nnz > cols) throw new IllegalArgumentException(nnz + " non-zero inputs of " + cols);
        if (xOff < 0 || xOff + cols > x.length) throw new IllegalArgumentException("x of " + x.length + " floats has no " + cols + " inputs at " + xOff);
        if (oOff < 0 || oOff + rows > out.length) throw new IllegalArgumentException("out of " + out.length + " floats has no " + rows + " outputs at " + oOff);
        for (int j = 0; j < nnz; j++) {
            if (idx[j] < 0 || idx[j] >= cols) throw new IllegalArgumentException("input index " + idx[j] + " at " + j + " is outside [0, " + cols + ")");
            if (j > 0 && idx[j] <= idx[j - 1]) throw new IllegalArgumentException("input indices must increase: " + idx[j - 1] + " then " + idx[j]);
        }
    }
}
