package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A float32 weight matrix W [rows, cols] with 2:4 sparsity along its input dimension (every group
 * of 4 consecutive inputs of a row holds at most 2 non-zeros), stored compressed: per row and group
 * the 2 kept values (float32) and their 2-bit positions in the group, packed. A group of 4 inputs
 * costs 8.5 bytes instead of 16: the GEMV reads 53% of the dense bytes.
 *
 * <p>Layout, made for an 8-lane GEMV: a row is cut in chunks of 4 groups (16 inputs, 8 kept
 * values). {@code values[row * cols / 2 + 2 * g + s]} is the kept value s (s = 0, 1; in order of
 * position) of group g, so a chunk's 8 values are one vector load. {@code positions[row * chunks + c]}
 * holds the 8 positions of chunk c, 2 bits each, kept value k (= 2 * group-in-chunk + s) in bits
 * [2k, 2k + 2). A group with fewer than 2 non-zeros keeps zeros at free positions (0 times x adds
 * nothing exactly, as in the dense kernel).
 *
 * <p>The GEMV (no gather instruction): the chunk's 16 inputs are two vectors x[0..8) and x[8..16);
 * the 16 position bits are broadcast, shifted per lane and masked into an index vector (lane k:
 * position of kept value k plus 4 when its group is the second of its half), which permutes each x
 * half (vpermd), and a blend takes lanes 0-3 from the first half and 4-7 from the second. One FMA
 * per chunk per row; four rows share the x loads.
 *
 * <p>Summation order, fixed (8 lanes on every machine: {@link #S} is 256 bits): lane k of one
 * accumulator adds kept value k of chunk 0, 1, ... by FMA; the lanes are summed pairwise
 * ([i] += [i + 4], [i + 2], [i + 1]); the kept values of a last partial chunk follow one by one,
 * by FMA. {@link #dotScalar} is that order in plain Java, so the two agree bit for bit. The dense
 * kernel on the same (pruned) matrix adds the same products in another order: equal up to float
 * rounding, not bit for bit.
 */
public final class TwoFourF32Matrix implements WeightMatrix {
    /** 8 float lanes: one chunk of 4 groups per vector, on AVX2 and AVX-512 alike (fixes the order). */
    static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> SI = IntVector.SPECIES_256;
    /** Inputs per chunk (4 groups of 4); kept values per chunk (8). */
    private static final int CHUNK = 16, KEPT = 8;
    private static final IntVector SHIFTS = IntVector.fromArray(SI, new int[]{0, 2, 4, 6, 8, 10, 12, 14}, 0);
    private static final IntVector GROUP_OFFSET = IntVector.fromArray(SI, new int[]{0, 0, 4, 4, 0, 0, 4, 4}, 0);
    private static final VectorMask<Float> SECOND_HALF = VectorMask.fromLong(S, 0xF0);
    /** Multiply-adds below which a GEMV stays on one thread. */
    private static final long MIN_CHUNK_WORK = 1 << 15;

    private final float[] values;      // [rows][cols / 2]
    private final short[] positions;   // [rows][chunks]
    private final int rows, cols, half, chunks, full;   // full: whole chunks per row

    private TwoFourF32Matrix(float[] values, short[] positions, int rows, int cols) {
        this.values = values; this.positions = positions; this.rows = rows; this.cols = cols;
        this.half = cols / 2; this.full = cols / CHUNK; this.chunks = (cols + CHUNK - 1) / CHUNK;
    }

    /** True when cols is a multiple of 4 and every group of 4 inputs of every row has at most 2 non-zeros (-0.0 is zero). */
    public static boolean isTwoFour(WeightMatrix m) {
        if (m.cols() % 4 != 0 || m.cols() == 0) return false;
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            m.dequantizeRow(r, row, 0);
            if (!isTwoFourRow(row, 0, m.cols())) return false;
        }
        return true;
    }

    /** True when every group of 4 in row[off, off + cols) has at most 2 non-zeros. */
    public static boolean isTwoFourRow(float[] row, int off, int cols) {
        for (int g = off; g < off + cols; g += 4) {
            int nz = (row[g] != 0 ? 1 : 0) + (row[g + 1] != 0 ? 1 : 0) + (row[g + 2] != 0 ? 1 : 0) + (row[g + 3] != 0 ? 1 : 0);
            if (nz > 2) return false;
        }
        return true;
    }

    /**
     * Magnitude 2:4 on one row, in place: in each group of 4 of row[off, off + cols) the 2 weights of
     * largest |w| stay (on a tie the lower position) and the other 2 become 0 (cols a multiple of 4).
     */
    public static void keepLargestTwo(float[] row, int off, int cols) {
        if (cols % 4 != 0) throw new IllegalArgumentException("2:4 needs the inputs in whole groups of 4, not " + cols);
        for (int g = off; g < off + cols; g += 4) {
            int first = g, second = -1;
            for (int i = g + 1; i < g + 4; i++) if (Math.abs(row[i]) > Math.abs(row[first])) first = i;
            for (int i = g; i < g + 4; i++) if (i != first && (second < 0 || Math.abs(row[i]) > Math.abs(row[second]))) second = i;
            for (int i = g; i < g + 4; i++) if (i != first && i != second) row[i] = 0f;
        }
    }

    /** The compressed copy of m, which must be 2:4 (see {@link #isTwoFour}); IllegalArgumentException names the first bad group. */
    public static TwoFourF32Matrix of(WeightMatrix m) {
        int rows = m.rows(), cols = m.cols();
        if (cols % 4 != 0 || cols == 0) throw new IllegalArgumentException("2:4 needs the inputs in whole groups of 4, not " + cols);
        long nValues = (long) rows * (cols / 2), nPos = (long) rows * ((cols + CHUNK - 1) / CHUNK);
        if (nValues > Integer.MAX_VALUE - 16 || nPos > Integer.MAX_VALUE - 16)
            throw new IllegalArgumentException("[" + rows + ", " + cols + "] is too large for one compressed array");
        TwoFourF32Matrix t = new TwoFourF32Matrix(new float[(int) nValues], new short[(int) nPos], rows, cols);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            m.dequantizeRow(r, row, 0);
            t.packRow(r, row);
        }
        return t;
    }

    private void packRow(int r, float[] row) {
        for (int g = 0; g < cols / 4; g++) {
            int p0 = -1, p1 = -1;
            for (int p = 0; p < 4; p++) {
                if (row[4 * g + p] == 0) continue;
                if (p0 < 0) p0 = p;
                else if (p1 < 0) p1 = p;
                else throw new IllegalArgumentException("row " + r + ", inputs " + 4 * g + ".." + (4 * g + 3) + " hold 3 or more non-zeros: not 2:4");
            }
            // fewer than 2 non-zeros: zeros at free positions, still in increasing order
            if (p0 < 0) { p0 = 0; p1 = 1; }
            else if (p1 < 0) { if (p0 == 3) { p1 = 3; p0 = 2; } else p1 = p0 + 1; }
            int v = r * half + 2 * g;
            values[v] = row[4 * g + p0];
            values[v + 1] = row[4 * g + p1];
            int k = 2 * (g % 4);   // kept value index in the chunk
            int at = r * chunks + g / 4;
            positions[at] = (short) (positions[at] | p0 << (2 * k) | p1 << (2 * k + 2));
        }
    }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public DType dtype() { return DType.F32; }
    /** Bytes read per pass: the kept values and their positions. */
    @Override public long byteSize() { return (long) values.length * 4 + (long) positions.length * 2; }
    /** What the same matrix takes stored dense. */
    public long denseByteSize() { return (long) rows * cols * 4; }

    /** Position (0..3 in its group) of kept value k (0..7) of chunk c of row r. */
    private int position(int r, int c, int k) { return positions[r * chunks + c] >>> (2 * k) & 3; }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        java.util.Arrays.fill(dst, off, off + cols, 0f);
        for (int g = 0; g < cols / 4; g++)
            for (int s = 0; s < 2; s++) {
                float v = values[row * half + 2 * g + s];
                if (v != 0) dst[off + 4 * g + position(row, g / 4, 2 * (g % 4) + s)] = v;
            }
    }

    @Override public float dot(int row, float[] x, int xOff) {
        checkX(x, xOff);
        FloatVector acc = FloatVector.zero(S);
        int vb = row * half, pb = row * chunks;
        for (int c = 0; c < full; c++) {
            int xo = xOff + c * CHUNK;
            FloatVector xa = FloatVector.fromArray(S, x, xo), xb = FloatVector.fromArray(S, x, xo + KEPT);
            acc = FloatVector.fromArray(S, values, vb + c * KEPT).fma(gathered(xa, xb, positions[pb + c]), acc);
        }
        return tail(row, x, xOff, Lanes.sum(acc));
    }

    /** x at the 8 kept positions of a chunk whose inputs are xa (first 8) and xb (last 8). */
    private static FloatVector gathered(FloatVector xa, FloatVector xb, short packed) {
        IntVector idx = IntVector.broadcast(SI, packed).lanewise(VectorOperators.LSHR, SHIFTS).and(3).add(GROUP_OFFSET);
        IntVector a = idx.selectFrom(xa.reinterpretAsInts()), b = idx.selectFrom(xb.reinterpretAsInts());
        return a.reinterpretAsFloats().blend(b.reinterpretAsFloats(), SECOND_HALF);
    }

    /** The kept values of the last partial chunk, one by one, added to sum. */
    private float tail(int row, float[] x, int xOff, float sum) {
        for (int g = full * 4; g < cols / 4; g++)
            for (int s = 0; s < 2; s++) {
                int k = 2 * (g % 4) + s;
                sum = Math.fma(values[row * half + 2 * g + s], x[xOff + 4 * g + position(row, full, k)], sum);
            }
        return sum;
    }

    /** Plain scalar reference of {@link #dot}: the same FMAs in the same order, one lane at a time. */
    @Override public float dotScalar(int row, float[] x, int xOff) {
        checkX(x, xOff);
        float[] lane = new float[KEPT];
        for (int c = 0; c < full; c++)
            for (int k = 0; k < KEPT; k++) {
                int g = 4 * c + k / 2;
                lane[k] = Math.fma(values[row * half + 2 * g + k % 2], x[xOff + 4 * g + position(row, c, k)], lane[k]);
            }
        for (int h = KEPT / 2; h > 0; h >>= 1) for (int i = 0; i < h; i++) lane[i] += lane[i + h];
        return tail(row, x, xOff, lane[0]);
    }

    private void checkX(float[] x, int xOff) {
        if (xOff < 0 || xOff + cols > x.length) throw new IllegalArgumentException("x of " + x.length + " floats has no " + cols + " inputs at " + xOff);
    }

    /**
     * out[t, r] = W[r, :] . x[t, :]. Four rows at a time share each chunk's x loads;
     * every output is {@link #dot}'s arithmetic exactly, computed by one thread, so the bits depend
     * neither on n nor on the thread count.
     */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        if (x.length < (long) n * cols || out.length < (long) n * rows)
            throw new IllegalArgumentException("matmul of [" + rows + ", " + cols + "] with " + n + " tokens needs x of " + (long) n * cols + " and out of " + (long) n * rows + " floats");
        int grain = (int) Math.min(Math.max(16, rows), (MIN_CHUNK_WORK / ((long) half * n) + 15) / 16 * 16);
        par.forRange(rows, Math.max(16, grain), (from, to) -> {
            // rows outer, tokens inner: four rows' compressed weights stay in cache while every token passes
            int r = from;
            for (; r + 4 <= to; r += 4) for (int t = 0; t < n; t++) rows4(r, x, t * cols, out, t * rows);
            for (; r < to; r++) for (int t = 0; t < n; t++) out[t * rows + r] = dot(r, x, t * cols);
        });
    }

    /** out[oOff + row .. + 3] for rows row .. row + 3: four FMA chains, one x load per chunk. */
    private void rows4(int row, float[] x, int xOff, float[] out, int oOff) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int v0 = row * half, v1 = v0 + half, v2 = v1 + half, v3 = v2 + half;
        int p0 = row * chunks, p1 = p0 + chunks, p2 = p1 + chunks, p3 = p2 + chunks;
        for (int c = 0; c < full; c++) {
            int xo = xOff + c * CHUNK, vo = c * KEPT;
            FloatVector xa = FloatVector.fromArray(S, x, xo), xb = FloatVector.fromArray(S, x, xo + KEPT);
            a0 = FloatVector.fromArray(S, values, v0 + vo).fma(gathered(xa, xb, positions[p0 + c]), a0);
            a1 = FloatVector.fromArray(S, values, v1 + vo).fma(gathered(xa, xb, positions[p1 + c]), a1);
            a2 = FloatVector.fromArray(S, values, v2 + vo).fma(gathered(xa, xb, positions[p2 + c]), a2);
            a3 = FloatVector.fromArray(S, values, v3 + vo).fma(gathered(xa, xb, positions[p3 + c]), a3);
        }
        out[oOff + row] = tail(row, x, xOff, Lanes.sum(a0));
        out[oOff + row + 1] = tail(row + 1, x, xOff, Lanes.sum(a1));
        out[oOff + row + 2] = tail(row + 2, x, xOff, Lanes.sum(a2));
        out[oOff + row + 3] = tail(row + 3, x, xOff, Lanes.sum(a3));
    }
}
