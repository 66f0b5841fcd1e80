package dev.actlab.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q8_0 weight matrix W [rows, cols] (blocks of 32 inputs share a scale per row) stored input-major:
 * the int8 quants of column c are the contiguous run {@code q[c * rows ..)}, the scales of input block b
 * the run {@code dh[b * rows ..)} as halves, as in the file. Same values as the Q8_0 file, for a GEMV that reads only the
 * kept inputs' columns, each thread its share of a column as one run. Memory: rows * cols bytes of quants
 * plus rows * cols / 16 bytes of scales (1.0625 bytes per weight, as the row-major Q8_0). Why halves: a block's
 * scales are read whenever any of its 32 inputs is kept, so at 70% sparsity float32 scales were 0.125 of the
 * 0.425 bytes read per weight; halves read 0.0625.
 *
 * <p>Why whole columns: the previous layout, strips of 64 rows holding each column's 64 quants side by
 * side (block sums in registers), read a kept column as a 64-byte run; at 70% sparsity those runs lie
 * apart, the prefetcher does not follow them, and each was a miss waited for. Whole columns give runs of
 * rows bytes; the block sums then live in an L1 tile instead of registers.
 */
public final class InputMajorQ8 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(S.vectorBitSize() / 4));
    private static final VectorSpecies<Short> HS = VectorSpecies.of(short.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, S.vectorShape());
    /**
     * Rows per tile: each thread reads its share of a kept column as one run per tile, so a tile as long as the
     * longest column keeps the runs whole (the 1B shape's stacked gate/up columns: 16,384 rows, read as four 4 KiB
     * runs with 4096-row tiles); the tile's block sums (64 KiB) then live in L2. AVX-512, 1B Q8_0 at 50%, 2 threads
     * (`SparseDecodeAB`): stacked gate/up 15.0 against 16.4 ms a token, 1.33x against 1.26x dense (README, branch teal5).
     */
    private static final int TILE = 16384;
    /** Rows per tile, benchmarks and tests only (-Dactlab.q8TileRows): {@link #TILE} by default; the bits do not depend on it. */
    static volatile int tileRows = Integer.getInteger("actlab.q8TileRows", TILE);

    private final byte[] q;
    /** The scales as halves (the file's own precision): see the class comment. */
    private final short[] dh;
    private final int rows, cols;

    private InputMajorQ8(byte[] q, short[] dh, int rows, int cols) { this.q = q; this.dh = dh; this.rows = rows; this.cols = cols; }

    /**
     * The input-major copy of a Q8_0 matrix, recovered from its dequantized rows: a block's scale is
     * max|w| / 127 (Q8_0 maps each block's largest magnitude to 127). Returns null when that does not
     * reproduce every weight exactly (a block quantized some other way): the caller then keeps the dense path.
     */
    public static InputMajorQ8 of(WeightMatrix m) { return ofStacked(m); }

    /**
     * As {@link #of}, for matrices stacked by rows, [m0; m1; ...] (same cols, all Q8_0): row r of m_i is
     * row (rows of m_0 .. m_{i-1}) + r. Matrices that read the same input (q, k, v; gate, up) then have
     * one column per input, as long as their rows together: longer runs to read. Null as for {@link #of}.
     */
    public static InputMajorQ8 ofStacked(WeightMatrix... ms) {
        int cols = ms[0].cols();
        long total = 0;
        for (WeightMatrix m : ms) {
            if (m.dtype() != DType.Q8_0) throw new IllegalArgumentException("InputMajorQ8 needs a Q8_0 matrix, got " + m.dtype());
            if (m.cols() != cols) throw new IllegalArgumentException("stacked matrices differ in columns: " + m.cols() + " and " + cols);
            total += m.rows();
        }
        if (cols % 32 != 0 || total * cols > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("[" + total + ", " + cols + "] does not fit");
        int rows = (int) total;
        byte[] q = new byte[rows * cols];
        short[] dh = new short[rows * (cols / 32)];
        float[] row = new float[cols];
        int base = 0;
        for (WeightMatrix m : ms) {
            for (int mr = 0; mr < m.rows(); mr++) {
                int r = base + mr;
                m.dequantizeRow(mr, row, 0);
                for (int b = 0; b < cols / 32; b++) {
                    float amax = 0;
                    for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(row[b * 32 + i]));
                    float scale = amax / 127f;
                    short half = Float.floatToFloat16(scale);
                    if (Float.float16ToFloat(half) != scale) return null;   // a Q8_0 scale is a half
                    dh[b * rows + r] = half;
                    for (int i = 0; i < 32; i++) {
                        float w = row[b * 32 + i];
                        int v = scale == 0 ? 0 : Math.round(w / scale);
                        if (v < -127 || v > 127 || v * scale != w) return null;
                        q[(b * 32 + i) * rows + r] = (byte) v;
                    }
                }
            }
            base += m.rows();
        }
        return new InputMajorQ8(q, dh, rows, cols);
    }

    public int rows() { return rows; }
    public int cols() { return cols; }
    public long byteSize() { return q.length + 2L * dh.length; }

    /**
     * out[oOff + r] = sum over the input blocks of d[b, r] * (sum over the kept inputs c of block b, in the
     * order of idx, of q[c, r] * x[c]) within each column group ({@link ColumnChunks}: the kept inputs
     * split in equal parts, the parts' sums added in order): idx must be increasing. Only the kept columns and the
     * scales of blocks with a kept input are read. Equals {@link #gemvScalar} bit for bit at any thread count.
     */
    public void gemv(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff, Parallel par) {
        check(x, xOff, idx, nnz, out, oOff);
        ColumnChunks.run(rows, nnz, 4 * S.length(), out, oOff, par, (lo, hi, from, to, dst, dOff) -> range(x, xOff, idx, lo, hi, dst, dOff, from, to));
    }

    /**
     * Rows [from, to) of the product over idx[lo .. hi), into out at oOff, in tiles of TILE: per input
     * block with kept inputs, out += d[b, r] * (the block's sums over its kept columns), the sums either in
     * registers ({@link #blockInRegisters}, few kept columns) or in a tile ({@link #blockInPasses}, many).
     * Both give each output {@link #rowScalar}'s chain, so the choice changes no bit.
     */
    private void range(float[] x, int xOff, int[] idx, int lo, int hi, float[] out, int oOff, int from, int to) {
        int L = S.length();
        // this thread's work arrays (KernelScratch): a fresh tile of sums a call (up to 64 KiB on the 1B shape) was garbage
        // that filled the launcher's small young generation every few tokens; every entry is written before it is read
        KernelScratch sc = reuseScratch ? KernelScratch.get() : null;
        float[] acc = null;
        int[] base = sc != null ? sc.ints(0, 32) : new int[32];
        float[] xs = sc != null ? sc.floats(0, 32) : new float[32];
        int tile = tileRows;
        for (int t0 = from; t0 < to; t0 += tile) {
            int t1 = Math.min(to, t0 + tile), vEnd = t0 + (t1 - t0) / L * L;
            java.util.Arrays.fill(out, oOff + t0, oOff + t1, 0f);
            int j = lo;
            while (j < hi) {
                int b = idx[j] >> 5, e = j;
                while (e < hi && (idx[e] >> 5) == b) e++;
                if (e - j <= registerColumns) blockInRegisters(x, xOff, idx, j, e, b, base, xs, out, oOff, t0, vEnd);
                else {
                    if (acc == null) { int len = Math.min(tile, to - from); acc = sc != null ? sc.floats(1, len) : new float[len]; }
                    blockInPasses(x, xOff, idx, j, e, b, acc, out, oOff, t0, vEnd);
                }
                for (int r = vEnd; r < t1; r++) out[oOff + r] = Math.fma(scale(b * rows + r), rowBlock(x, xOff, idx, j, e, r), out[oOff + r]);
                j = e;
            }
        }
    }

    /** False: fresh work arrays a call, the previous behaviour (benchmarks only). */
    static volatile boolean reuseScratch = true;

    /**
     * Kept columns of a block up to which its sums stay in registers. Registers read all of the block's
     * kept columns side by side (one stream each), passes four at a time: with many kept columns the
     * streams outnumber what the prefetcher follows. `ColumnKernelBench Q8_0 4096 768 S` at 2 threads, median
     * speedup registers / passes: 1.60x / 1.84x at 50% (16 a block), 2.61x / 2.21x at 70% (10 a block).
     * Benchmarks set it to 0 or 32 (`-Dbench.alt=kernel`).
     */
    static volatile int registerColumns = 12;

    /** Block b's kept inputs idx[j .. e) on rows [t0, vEnd), four at a time through the tile of sums acc. */
    private void blockInPasses(float[] x, int xOff, int[] idx, int j, int e, int b, float[] acc, float[] out, int oOff, int t0, int vEnd) {
        for (int k = j; k < e; ) {
            boolean first = k == j;
            if (passColumns == 8 && e - k >= 8) {
                columns8(x, xOff, idx, k, b, acc, out, oOff, t0, vEnd, first, k + 8 == e);
                k += 8;
            } else if (e - k >= 4) {
                columns4(x, xOff, idx, k, b, acc, out, oOff, t0, vEnd, first, k + 4 == e);
                k += 4;
            } else {
                column1(x, xOff, idx[k], b, acc, out, oOff, t0, vEnd, first, k + 1 == e);
                k++;
            }
        }
    }

    /**
     * Block b's kept inputs idx[j .. e) on rows [t0, vEnd), the sums in registers: rows go 4L at a time
     * (four vectors of sums), every kept column adds its 4L quants, then out += d * sums; one loop over
     * the columns, no first/last cases. base and xs are scratch of 32.
     */
    private void blockInRegisters(float[] x, int xOff, int[] idx, int j, int e, int b, int[] base, float[] xs, float[] out, int oOff, int t0, int vEnd) {
        int L = S.length(), m = e - j, db = b * rows, v4End = t0 + (vEnd - t0) / (4 * L) * (4 * L);
        for (int k = 0; k < m; k++) { int c = idx[j + k]; base[k] = c * rows; xs[k] = x[xOff + c]; }
        FloatVector zero = FloatVector.zero(S);
        int r = t0;
        for (; r < v4End; r += 4 * L) {
            FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
            for (int k = 0; k < m; k++) {
                FloatVector xk = FloatVector.broadcast(S, xs[k]);
                int p = base[k] + r;
                a0 = widen(p).fma(xk, a0);
                a1 = widen(p + L).fma(xk, a1);
                a2 = widen(p + 2 * L).fma(xk, a2);
                a3 = widen(p + 3 * L).fma(xk, a3);
            }
            scaleAdd(db + r, a0, out, oOff + r);
            scaleAdd(db + r + L, a1, out, oOff + r + L);
            scaleAdd(db + r + 2 * L, a2, out, oOff + r + 2 * L);
            scaleAdd(db + r + 3 * L, a3, out, oOff + r + 3 * L);
        }
        for (; r < vEnd; r += L) {
            FloatVector a = zero;
            for (int k = 0; k < m; k++) a = widen(base[k] + r).fma(FloatVector.broadcast(S, xs[k]), a);
            scaleAdd(db + r, a, out, oOff + r);
        }
    }

    /** Block b's kept inputs idx[k .. k + 4) on rows [t0, vEnd): sums start at zero if first, end in out if last. */
    private void columns4(float[] x, int xOff, int[] idx, int k, int b, float[] acc, float[] out, int oOff, int t0, int vEnd, boolean first, boolean last) {
        int L = S.length();
        int c0 = idx[k], c1 = idx[k + 1], c2 = idx[k + 2], c3 = idx[k + 3];
        FloatVector x0 = FloatVector.broadcast(S, x[xOff + c0]), x1 = FloatVector.broadcast(S, x[xOff + c1]);
        FloatVector x2 = FloatVector.broadcast(S, x[xOff + c2]), x3 = FloatVector.broadcast(S, x[xOff + c3]);
        int b0 = c0 * rows, b1 = c1 * rows, b2 = c2 * rows, b3 = c3 * rows, db = b * rows;
        FloatVector zero = FloatVector.zero(S);
        for (int r = t0; r < vEnd; r += L) {
            FloatVector a = first ? zero : FloatVector.fromArray(S, acc, r - t0);
            a = widen(b0 + r).fma(x0, a);
            a = widen(b1 + r).fma(x1, a);
            a = widen(b2 + r).fma(x2, a);
            a = widen(b3 + r).fma(x3, a);
            if (last) scaleAdd(db + r, a, out, oOff + r);
            else a.intoArray(acc, r - t0);
        }
    }

    /**
     * Kept columns a pass of {@link #blockInPasses}: 8 (then four, then one), or 4 (benchmarks:
     * -Dactlab.q8PassColumns). The same chain of each block's sums either way.
     */
    static volatile int passColumns = Integer.getInteger("actlab.q8PassColumns", 8);

    /** Block b's kept inputs idx[k .. k + 8) on rows [t0, vEnd), as {@link #columns4}: eight streams a pass. */
    private void columns8(float[] x, int xOff, int[] idx, int k, int b, float[] acc, float[] out, int oOff, int t0, int vEnd, boolean first, boolean last) {
        int L = S.length();
        int c0 = idx[k], c1 = idx[k + 1], c2 = idx[k + 2], c3 = idx[k + 3], c4 = idx[k + 4], c5 = idx[k + 5], c6 = idx[k + 6], c7 = idx[k + 7];
        FloatVector x0 = FloatVector.broadcast(S, x[xOff + c0]), x1 = FloatVector.broadcast(S, x[xOff + c1]);
        FloatVector x2 = FloatVector.broadcast(S, x[xOff + c2]), x3 = FloatVector.broadcast(S, x[xOff + c3]);
        FloatVector x4 = FloatVector.broadcast(S, x[xOff + c4]), x5 = FloatVector.broadcast(S, x[xOff + c5]);
        FloatVector x6 = FloatVector.broadcast(S, x[xOff + c6]), x7 = FloatVector.broadcast(S, x[xOff + c7]);
        int b0 = c0 * rows, b1 = c1 * rows, b2 = c2 * rows, b3 = c3 * rows, b4 = c4 * rows, b5 = c5 * rows, b6 = c6 * rows, b7 = c7 * rows, db = b * rows;
        FloatVector zero = FloatVector.zero(S);
        for (int r = t0; r < vEnd; r += L) {
            FloatVector a = first ? zero : FloatVector.fromArray(S, acc, r - t0);
            a = widen(b0 + r).fma(x0, a);
            a = widen(b1 + r).fma(x1, a);
            a = widen(b2 + r).fma(x2, a);
            a = widen(b3 + r).fma(x3, a);
            a = widen(b4 + r).fma(x4, a);
            a = widen(b5 + r).fma(x5, a);
            a = widen(b6 + r).fma(x6, a);
            a = widen(b7 + r).fma(x7, a);
            if (last) scaleAdd(db + r, a, out, oOff + r);
            else a.intoArray(acc, r - t0);
        }
    }

    /** One kept input c of block b on rows [t0, vEnd), as {@link #columns4}. */
    private void column1(float[] x, int xOff, int c, int b, float[] acc, float[] out, int oOff, int t0, int vEnd, boolean first, boolean last) {
        int L = S.length(), base = c * rows, db = b * rows;
        FloatVector xv = FloatVector.broadcast(S, x[xOff + c]), zero = FloatVector.zero(S);
        for (int r = t0; r < vEnd; r += L) {
            FloatVector a = widen(base + r).fma(xv, first ? zero : FloatVector.fromArray(S, acc, r - t0));
            if (last) scaleAdd(db + r, a, out, oOff + r);
            else a.intoArray(acc, r - t0);
        }
    }

    private FloatVector widen(int p) { return (FloatVector) ByteVector.fromArray(BS, q, p).castShape(S, 0); }

    /** out[o ..] = (scales dh[sb ..]) * sums + out[o ..], one vector. */
    private void scaleAdd(int sb, FloatVector sums, float[] out, int o) {
        halves(sb).fma(sums, FloatVector.fromArray(S, out, o)).intoArray(out, o);
    }

    /**
     * The scales dh[sb ..] as floats, exactly: a scale is a non-negative finite half, whose bits moved to a float's
     * place (h << 13) are its value times 2^-112 (subnormal halves too), so times 2^112 is the half's value.
     */
    private FloatVector halves(int sb) {
        return ((IntVector) ShortVector.fromArray(HS, dh, sb).castShape(IS, 0)).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
    }

    /** Scale i as a float. */
    private float scale(int i) { return Float.float16ToFloat(dh[i]); }

    /** Plain scalar reference of {@link #gemv}: the same fused multiply-adds in the same order. */
    public void gemvScalar(float[] x, int xOff, int[] idx, int nnz, float[] out, int oOff) {
        check(x, xOff, idx, nnz, out, oOff);
        ColumnChunks.scalar(rows, nnz, out, oOff, (lo, hi, r) -> rowScalar(x, xOff, idx, lo, hi, r));
    }

    /** Row r over the kept inputs idx[lo .. nnz): per block, d times the block's chain, chained from zero. */
    private float rowScalar(float[] x, int xOff, int[] idx, int lo, int nnz, int r) {
        float y = 0;
        int j = lo;
        while (j < nnz) {
            int b = idx[j] >> 5, e = j;
            while (e < nnz && (idx[e] >> 5) == b) e++;
            y = Math.fma(scale(b * rows + r), rowBlock(x, xOff, idx, j, e, r), y);
            j = e;
        }
        return y;
    }

    /** Row r's sum over the kept inputs idx[j .. e) of one block: q[c, r] * x[c] chained in order from zero. */
    private float rowBlock(float[] x, int xOff, int[] idx, int j, int e, int r) {
        float a = 0;
        for (int k = j; k < e; k++) a = Math.fma(q[idx[k] * rows + r], x[xOff + idx[k]], a);
        return a;
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
