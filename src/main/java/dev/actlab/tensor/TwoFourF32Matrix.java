package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A float32 weight matrix W [rows, cols] with 2:4 sparsity along its input dimension (every group
 * of 4 consecutive inputs of a row holds at most 2 non-zeros), stored compressed: per row and group
 * the 2 kept values (float32) and their positions in the group, stored as the permute indices the
 * GEMV uses (4 bits a kept value). A group of 4 inputs costs 9 bytes instead of 16: the GEMV reads
 * 56% of the dense bytes.
 *
 * <p>Layout, made for one 8-lane permute per 8 kept values. Rows go in blocks of 4 (the last block
 * padded with zero rows), a block in two row pairs (rows 4b, 4b + 1 and 4b + 2, 4b + 3); inputs go
 * in chunks of 16, a chunk in two halves of 8 (groups 2h, 2h + 1 of the chunk). One pair's kept
 * values of one half fill one vector, lanes [row A group 0 (2), row B group 0 (2), row A group 1
 * (2), row B group 1 (2)], each pair in order of position. A block's chunk (32 values) is stored at
 * a slot ({@link #slot}) of 36 floats: {@code values[slot * 36 + (2 * h + pair) * 8 + lane]}. Each such vector has
 * one 32-bit word of permute indices, stored after the slot's 32 values as float bits,
 * {@code values[slot * 36 + 32 + 2 * h + pair]}: lane l's index into the
 * 8-input x half in bits [4 l, 4 l + 4), the kept value's position (0..3 in its group) plus 4 in lanes
 * 4-7 (the half's second group); 4 bytes per row and chunk. (A word is never a NaN pattern - each 4-bit
 * index is at most 7, so bits 23 and 27 are 0 and the exponent never all ones - so it passes through
 * float unchanged.) Values and index words in one array: one stream per column quarter, not two.
 * The groups of a last partial chunk (cols not a multiple of 16) are kept per row in {@code tailValues}
 * and {@code tailPositions}. A group with fewer than 2 non-zeros keeps zeros at free positions
 * (0 times x adds nothing exactly, as in the dense kernel).
 *
 * <p>The GEMV (no gather): an 8-input half of x is one vector; lanes 0-3 of a pair vector read
 * its first group (index = position), lanes 4-7 its second (index = 4 + position), so the vector's
 * index word is broadcast and shifted per lane into an index vector (selectFrom keeps the low 3 bits
 * of each lane: the bits of the next lanes above them fall away) that permutes the x half (vpermps)
 * into x at the kept positions of both rows: one FMA per 8 kept values. The four rows of a block share
 * the x loads. Storing the indices whole (4 bits, not the 2 bits a position needs) costs 0.5 byte per
 * 4 inputs and saves a mask and an offset per 8 values; at two threads that measured faster overall.
 *
 * <p>Four long streams: a block's chunks are read as 4 interleaved column quarters (chunk i + s q in
 * step 4 i + s, q = full / 4; the full % 4 last chunks after them, in order), and each quarter is
 * stored as one stream over all blocks: slot (s blocks + b) q + i. So a thread's run of blocks reads
 * 4 sequential streams (values with their index words) from its first block to its last, as the
 * dense kernel's strided pass reads 4 rows a quarter of its range apart (F32Matrix.matmulRows). The
 * layout before it (a block's chunks contiguous, read as 4 quarter-row runs only from 2048 inputs)
 * was 1.3-1.7x slower from memory at two threads (docs/two-four-speed-log.md, "2:4 at two threads, second pass").
 *
 * <p>Wide layout (machines with 512-bit vectors; {@link #WIDE}): the same values in the same places, but per slot
 * only 2 index words of 2-bit positions, {@code values[slot * 34 + 32 + h]}: kept value l of the 16 values of half h
 * (both pairs: 8 pair + lane) at bits [2 l, 2 l + 2). 8.5 bytes per 4 inputs instead of 9. One 16-lane vector holds
 * both pairs' values of a half (the two 8-lane vectors above side by side) and permutes the whole 16-input chunk of
 * x; its index is the position plus a per-lane offset (8 h + 4 in a half's second group). Lane for lane these are the
 * 8-lane kernel's FMAs in the same order, so both layouts give the same bits. The 8-lane kernel on 2-bit positions
 * needs that mask and offset per 8 values and measured slower on AVX2 than with 4-bit indices (docs/two-four-speed-log.md,
 * "2:4 at two threads, second pass"); with 16 lanes a mask and an offset per 16 values cost less than the half-byte per 4 inputs
 * they save (docs/two-four-speed-log.md, "2:4 on AVX-512").
 *
 * <p>Summation order, fixed (8 lanes on every machine: {@link #S} is 256 bits): per pair, accumulator
 * lo adds the half-0 vectors of the chunks in that step order by FMA, accumulator hi the half-1 vectors;
 * t = lo + hi; row A is ((t[0] + t[1]) + t[4]) + t[5], row B the same from lane 2; then the tail
 * groups' kept values one by one, by FMA. {@link #dotScalar} is that order in plain Java, so the two
 * agree bit for bit. The dense kernel on the same (pruned) matrix adds the same products in another
 * order: equal up to float rounding, not bit for bit.
 */
public final class TwoFourF32Matrix implements WeightMatrix {
    /** 8 float lanes: one half-chunk per vector, on AVX2 and AVX-512 alike (fixes the order). */
    static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> SI = IntVector.SPECIES_256;
    /** 16 float lanes: one half-chunk of both pairs per vector (wide layout). */
    private static final VectorSpecies<Float> W = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> WI = IntVector.SPECIES_512;
    /** Inputs per chunk (two halves of 8); rows per block (two pairs). */
    private static final int CHUNK = 16, BLOCK = 4;
    /** Floats per slot (one block's chunk): 32 kept values, then their 4 index words (float bits); 2 words in the wide layout. */
    private static final int SLOT = 36, WIDE_SLOT = 34;
    /** Interleaved runs of chunks a block is read in: the column quarters, each stored as one stream over all blocks. */
    private static final int STREAMS = 4;
    /** Per-lane shift of an index word: lane l's index in its low bits. */
    private static final IntVector SHIFT = IntVector.fromArray(SI, new int[]{0, 4, 8, 12, 16, 20, 24, 28}, 0);
    /** Wide layout: per-lane shift of a 2-bit position word, and each lane's index offset in the 16-input chunk for halves 0 and 1. */
    private static final IntVector WIDE_SHIFT = IntVector.fromArray(WI, new int[]{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30}, 0);
    private static final IntVector WIDE_OFFSET_0 = IntVector.fromArray(WI, new int[]{0, 0, 0, 0, 4, 4, 4, 4, 0, 0, 0, 0, 4, 4, 4, 4}, 0);
    private static final IntVector WIDE_OFFSET_1 = WIDE_OFFSET_0.add(8);
    /**
     * Whether {@link #of(WeightMatrix)} uses the wide layout: where the preferred vector is 512 bits (AVX-512), unless
     * -Dactlab.twoFourWide=off. Elsewhere a 512-bit vector is emulated, so the 8-lane layout stays.
     */
    static final boolean WIDE = FloatVector.SPECIES_PREFERRED.vectorShape() == VectorShape.S_512_BIT
            && !"off".equals(System.getProperty("actlab.twoFourWide"));
    /**
     * Whether decode may group this type's matrices in one parallel region ({@link MatmulGroup#fusable}: q, k, v in
     * one, gate, up and the SiLU in one); -Dactlab.twoFourGrouped=off keeps one region per matrix (for A/B runs).
     */
    static final boolean GROUPED = !"off".equals(System.getProperty("actlab.twoFourGrouped"));
    /** Multiply-adds below which a GEMV stays on one thread. */
    private static final long MIN_CHUNK_WORK = 1 << 15;

    private final float[] values;         // [slot (see slot)]: [2 halves][2 pairs][8] values, then [2 halves][2 pairs] index words
    private final float[] tailValues;     // [rows][tailGroups][2]
    private final int[] tailPositions;    // [rows]: group j's kept value s at bits [4j + 2s, +2)
    private final int rows, cols, blocks, full, tailGroups;
    private final boolean wide;           // the wide layout: 2-bit positions, 16-lane kernel
    private final int slotFloats;         // SLOT or WIDE_SLOT
    private final int streamChunks;       // q = full / 4: chunks of a block per stream

    private TwoFourF32Matrix(int rows, int cols, boolean wide) {
        this.rows = rows; this.cols = cols; this.wide = wide; this.slotFloats = wide ? WIDE_SLOT : SLOT;
        this.blocks = (rows + BLOCK - 1) / BLOCK; this.full = cols / CHUNK; this.tailGroups = cols % CHUNK / 4;
        this.streamChunks = full / STREAMS;
        long nValues = (long) blocks * full * slotFloats;
        if (nValues > Integer.MAX_VALUE - 16)
            throw new IllegalArgumentException("[" + rows + ", " + cols + "] is too large for one compressed array");
        this.values = new float[(int) nValues];
        this.tailValues = new float[tailGroups == 0 ? 0 : rows * tailGroups * 2];
        this.tailPositions = new int[tailGroups == 0 ? 0 : rows];
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
    public static TwoFourF32Matrix of(WeightMatrix m) { return of(m, WIDE); }

    /** {@link #of(WeightMatrix)} in the wide layout (2-bit positions, 16-lane kernel) or the 8-lane one (4-bit indices): the same bits. */
    static TwoFourF32Matrix of(WeightMatrix m, boolean wide) {
        int rows = m.rows(), cols = m.cols();
        if (cols % 4 != 0 || cols == 0) throw new IllegalArgumentException("2:4 needs the inputs in whole groups of 4, not " + cols);
        TwoFourF32Matrix t = new TwoFourF32Matrix(rows, cols, wide);
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
            int v = valueIndex(r, g), bit = positionBit(r, g);
            (g < full * 4 ? values : tailValues)[v] = row[4 * g + p0];
            (g < full * 4 ? values : tailValues)[v + 1] = row[4 * g + p1];
            if (g < full * 4) {
                int w = positionIndex(r, g);
                int bits = wide ? p0 << bit | p1 << (bit + 2) : (4 * (g % 2) + p0) << bit | (4 * (g % 2) + p1) << (bit + 4);
                values[w] = Float.intBitsToFloat(Float.floatToRawIntBits(values[w]) | bits);
            }
            else tailPositions[r] |= p0 << bit | p1 << (bit + 2);
        }
    }

    /** Index of the first kept value of group g of row r in values (whole chunks) or tailValues. */
    private int valueIndex(int r, int g) {
        if (g >= full * 4) return (r * tailGroups + g - full * 4) * 2;
        int c = g / 4, h = g % 4 / 2, pair = r % BLOCK / 2;
        return slot(r / BLOCK, c) * slotFloats + (2 * h + pair) * 8 + lane(r, g);
    }

    /** Lane of the first kept value of group g (whole chunk) of row r in its pair vector. */
    private static int lane(int r, int g) { return 4 * (g % 2) + 2 * (r % 2); }

    /** Index (in values) of the index word of group g (whole chunk) of row r: its chunk, half and pair (wide: its chunk and half). */
    private int positionIndex(int r, int g) {
        if (wide) return slot(r / BLOCK, g / 4) * WIDE_SLOT + 32 + g % 4 / 2;
        return slot(r / BLOCK, g / 4) * SLOT + 32 + g % 4 / 2 * 2 + r % BLOCK / 2;
    }

    /** Bit of the first kept value's index (whole chunk, 4 bits; wide: position, 2 bits) or position (tail, 2 bits) in its word. */
    private int positionBit(int r, int g) {
        if (g >= full * 4) return 4 * (g - full * 4);
        return wide ? 2 * (8 * (r % BLOCK / 2) + lane(r, g)) : 4 * lane(r, g);
    }

    /** Position (0..3 in its group) of kept value s of group g of row r (an index's low 2 bits). */
    private int position(int r, int g, int s) {
        if (g >= full * 4) return tailPositions[r] >>> (positionBit(r, g) + 2 * s) & 3;
        return Float.floatToRawIntBits(values[positionIndex(r, g)]) >>> (positionBit(r, g) + (wide ? 2 : 4) * s) & 3;
    }

    private float value(int r, int g, int s) { return (g < full * 4 ? values : tailValues)[valueIndex(r, g) + s]; }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public DType dtype() { return DType.F32; }
    /** Bytes read per pass: the kept values and their positions. */
    @Override public long byteSize() { return 4L * (values.length + tailValues.length + tailPositions.length); }
    /** What the same matrix takes stored dense. */
    public long denseByteSize() { return (long) rows * cols * 4; }

    @Override public void dequantizeRow(int row, float[] dst, int off) {
        java.util.Arrays.fill(dst, off, off + cols, 0f);
        for (int g = 0; g < cols / 4; g++)
            for (int s = 0; s < 2; s++) {
                float v = value(row, g, s);
                if (v != 0) dst[off + 4 * g + position(row, g, s)] = v;
            }
    }

    @Override public float dot(int row, float[] x, int xOff) {
        checkX(x, xOff);
        float[] out = new float[BLOCK];
        block(row / BLOCK, x, xOff, out, -(row / BLOCK * BLOCK));
        return out[row % BLOCK];
    }

    /** Plain scalar reference of {@link #dot}: the same FMAs in the same order, one lane at a time. */
    @Override public float dotScalar(int row, float[] x, int xOff) {
        checkX(x, xOff);
        float[] lo = new float[8], hi = new float[8];
        for (int i = 0; i < full; i++)
            for (int gi = 0; gi < 4; gi++) {
                int g = 4 * chunkAt(i) + gi, l = lane(row, g);
                float[] acc = gi < 2 ? lo : hi;
                for (int s = 0; s < 2; s++) acc[l + s] = Math.fma(value(row, g, s), x[xOff + 4 * g + position(row, g, s)], acc[l + s]);
            }
        int a = 2 * (row % 2);
        float sum = (lo[a] + hi[a]) + (lo[a + 1] + hi[a + 1]) + (lo[a + 4] + hi[a + 4]) + (lo[a + 5] + hi[a + 5]);
        return tail(row, x, xOff, sum);
    }

    /** The kept values of the tail groups, one by one, added to sum. */
    private float tail(int row, float[] x, int xOff, float sum) {
        for (int g = full * 4; g < cols / 4; g++)
            for (int s = 0; s < 2; s++) sum = Math.fma(value(row, g, s), x[xOff + 4 * g + position(row, g, s)], sum);
        return sum;
    }

    private void checkX(float[] x, int xOff) {
        if (xOff < 0 || xOff + cols > x.length) throw new IllegalArgumentException("x of " + x.length + " floats has no " + cols + " inputs at " + xOff);
    }

    /**
     * out[t, r] = W[r, :] . x[t, :]. A thread takes whole blocks of 4 rows, blocks outer and
     * tokens inner (a block's compressed weights stay in cache while every token passes); every
     * output is {@link #dot}'s arithmetic exactly, so the bits depend neither on n nor on the thread count.
     */
    @Override public void matmul(float[] x, int n, float[] out, Parallel par) {
        if (x.length < (long) n * cols || out.length < (long) n * rows)
            throw new IllegalArgumentException("matmul of [" + rows + ", " + cols + "] with " + n + " tokens needs x of " + (long) n * cols + " and out of " + (long) n * rows + " floats");
        int grain = (int) Math.min(Math.max(4, blocks), (MIN_CHUNK_WORK / ((long) cols * 2 * n) + 3) / 4 * 4);
        par.forRange(blocks, Math.max(4, grain), (from, to) -> matmulRows(x, n, out, from * BLOCK, Math.min(rows, to * BLOCK)));
    }

    /** Rows [from, to) of {@link #matmul}, the same bits (whole blocks are computed, only these rows written). */
    @Override public void matmulRows(float[] x, int n, float[] out, int from, int to) {
        if (from >= to) return;
        float[] part = new float[BLOCK];
        for (int b = from / BLOCK; b * BLOCK < to; b++)
            for (int t = 0; t < n; t++) {
                int first = b * BLOCK, o = t * rows;
                if (first >= from && first + BLOCK <= to) block(b, x, t * cols, out, o);
                else {
                    block(b, x, t * cols, part, -first);
                    for (int r = Math.max(from, first); r < Math.min(to, first + BLOCK); r++) out[o + r] = part[r - first];
                }
            }
    }

    /** out[oOff + r] for the rows r of block b that exist (oOff + 4b may be 0 with out of 4 floats). */
    private void block(int b, float[] x, int xOff, float[] out, int oOff) {
        if (wide) { blockWide(b, x, xOff, out, oOff); return; }
        FloatVector lo0 = FloatVector.zero(S), lo1 = lo0, hi0 = lo0, hi1 = lo0;
        int q = streamChunks, streamed = STREAMS * q, perStream = blocks * q, first = b * q;
        int restFirst = streamed * blocks + b * (full - streamed) - streamed;   // slot of chunk c >= 4 q: restFirst + c
        for (int i = 0; i < full; i++) {
            // step i < 4 q: chunk i / 4 + (i % 4) q, slot i / 4 of block b in stream i % 4; then the full % 4 last chunks in order
            int c = i < streamed ? (i >> 2) + (i & 3) * q : i;
            int slot = i < streamed ? (i & 3) * perStream + first + (i >> 2) : restFirst + i;
            int xo = xOff + c * CHUNK, vo = slot * SLOT;
            FloatVector xa = FloatVector.fromArray(S, x, xo), xb = FloatVector.fromArray(S, x, xo + 8);
            lo0 = FloatVector.fromArray(S, values, vo).fma(kept(xa, values[vo + 32]), lo0);
            lo1 = FloatVector.fromArray(S, values, vo + 8).fma(kept(xa, values[vo + 33]), lo1);
            hi0 = FloatVector.fromArray(S, values, vo + 16).fma(kept(xb, values[vo + 34]), hi0);
            hi1 = FloatVector.fromArray(S, values, vo + 24).fma(kept(xb, values[vo + 35]), hi1);
        }
        int r = b * BLOCK;
        FloatVector t0 = lo0.add(hi0), t1 = lo1.add(hi1);
        out[oOff + r] = tail(r, x, xOff, pairLanes(t0, 0));
        if (r + 1 < rows) out[oOff + r + 1] = tail(r + 1, x, xOff, pairLanes(t0, 2));
        if (r + 2 < rows) out[oOff + r + 2] = tail(r + 2, x, xOff, pairLanes(t1, 0));
        if (r + 3 < rows) out[oOff + r + 3] = tail(r + 3, x, xOff, pairLanes(t1, 2));
    }

    /**
     * {@link #block} in the wide layout: lo = [lo0 | lo1], hi = [hi0 | hi1] of the 8-lane kernel, the same FMAs lane for
     * lane in the same order, the 16-input chunk of x permuted by position + offset.
     */
    private void blockWide(int b, float[] x, int xOff, float[] out, int oOff) {
        FloatVector lo = FloatVector.zero(W), hi = lo;
        int q = streamChunks, streamed = STREAMS * q, perStream = blocks * q, first = b * q;
        int restFirst = streamed * blocks + b * (full - streamed) - streamed;
        for (int i = 0; i < full; i++) {
            int c = i < streamed ? (i >> 2) + (i & 3) * q : i;
            int slot = i < streamed ? (i & 3) * perStream + first + (i >> 2) : restFirst + i;
            int vo = slot * WIDE_SLOT;
            FloatVector xc = FloatVector.fromArray(W, x, xOff + c * CHUNK);
            lo = FloatVector.fromArray(W, values, vo).fma(keptWide(xc, values[vo + 32], WIDE_OFFSET_0), lo);
            hi = FloatVector.fromArray(W, values, vo + 16).fma(keptWide(xc, values[vo + 33], WIDE_OFFSET_1), hi);
        }
        FloatVector t = lo.add(hi);
        int r = b * BLOCK;
        out[oOff + r] = tail(r, x, xOff, pairLanes(t, 0));
        if (r + 1 < rows) out[oOff + r + 1] = tail(r + 1, x, xOff, pairLanes(t, 2));
        if (r + 2 < rows) out[oOff + r + 2] = tail(r + 2, x, xOff, pairLanes(t, 8));
        if (r + 3 < rows) out[oOff + r + 3] = tail(r + 3, x, xOff, pairLanes(t, 10));
    }

    /** The 16-input chunk xc at the kept positions of one half of both pairs: index = 2-bit position + offset (8 h, + 4 in a group's second half). */
    private static FloatVector keptWide(FloatVector xc, float word, IntVector offset) {
        IntVector index = IntVector.broadcast(WI, Float.floatToRawIntBits(word)).lanewise(VectorOperators.LSHR, WIDE_SHIFT).and(3).or(offset);
        return index.selectFrom(xc.reinterpretAsInts()).reinterpretAsFloats();
    }

    /**
     * Where chunk c of block b is stored, in units of one chunk (32 values, 4 index words): chunks
     * [s q, s q + q) of every block form stream s, block after block; the full % 4 last chunks of
     * every block follow the 4 streams, block after block.
     */
    private int slot(int b, int c) {
        int q = streamChunks;
        if (c < STREAMS * q) return (c / q * blocks + b) * q + c % q;
        return STREAMS * q * blocks + b * (full - STREAMS * q) + c - STREAMS * q;
    }

    /** Chunk read in step i of a block: the 4 streams interleaved, then the full % 4 last chunks in order (q = 0: chunk i). */
    private int chunkAt(int i) {
        int q = streamChunks;
        return i < STREAMS * q ? i / STREAMS + i % STREAMS * q : i;
    }

    /** One row's sum of a pair accumulator: ((t[a] + t[a + 1]) + t[a + 4]) + t[a + 5]. */
    private static float pairLanes(FloatVector t, int a) {
        return t.lane(a) + t.lane(a + 1) + t.lane(a + 4) + t.lane(a + 5);
    }

    /**
     * x (one 8-input half) at the kept positions of a pair vector with this index word. selectFrom
     * wraps each lane's index to its low 3 bits (mod 8, as Vector.selectFrom specifies), which drops
     * the higher lanes' indices that the shift leaves above it.
     */
    private static FloatVector kept(FloatVector xHalf, float word) {
        IntVector index = IntVector.broadcast(SI, Float.floatToRawIntBits(word)).lanewise(VectorOperators.LSHR, SHIFT);
        return index.selectFrom(xHalf.reinterpretAsInts()).reinterpretAsFloats();
    }
}
