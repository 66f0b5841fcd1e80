package dev.actlab.tensor;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * General matrix products C [M, K] += A [M, J] B [J, K] on strided views of float arrays, where A
 * and B may each be stored transposed: training's forward (W transposed), dx and dW (dy
 * transposed), and its causal attention's per-head products (Q K^T, P V and their gradients). The
 * transposition happens in the packing copies the register tile ({@link GemmKernel}, 12 rows x 2
 * vectors) needs anyway. Every element of C is C + sum_j A[m, j] B[j, k] with fused multiply-adds
 * in j order, whatever the blocking, and each tile of C belongs to one thread: results are
 * bit-identical across thread counts. {@link #reference} is that chain one element at a time.
 */
public final class Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = GemmKernel.L, MR = GemmKernel.MR, NR = 2, P = GemmKernel.P2, RS = GemmKernel.RS;
    /** J tile (a packed strip of B, KC x P floats, stays in L1) and the rows a task aims at (its packed A stays in L2). */
    static final int KC = 256;
    private static final int MC = 8 * MR;
    /** Runs a product on the calling thread, for callers that split the work themselves. */
    public static final Parallel SERIAL = new Parallel(1);

    private Gemm() {}

    /**
     * C [M, K] += A [M, J] B [J, K], all contiguous and row-major except that A is stored
     * [J, M] when aT and B is stored [K, J] when bT.
     */
    public static void multiply(float[] c, float[] a, boolean aT, float[] b, boolean bT, int m, int jn, int k, Parallel par) {
        multiply(c, 0, k, a, 0, aT ? m : jn, aT, b, 0, bT ? jn : k, bT, m, jn, k, Zeros.NONE, par);
    }

    /**
     * What a product may take as zero without looking: C before the product (forward), or
     * the causal masks of attention in a square product (M = J or J = K, rows and columns both
     * positions). Skipping a term that is exactly zero leaves each element's chain of fused
     * multiply-adds unchanged (up to the sign of a zero).
     */
    public enum Zeros {
        NONE,
        /** C's previous contents count as zero: C = A B, without reading C or clearing it first. */
        C_BEFORE,
        /** Only C[m, k] with k <= m is wanted: blocks of C wholly above the diagonal are left as they were. */
        C_ABOVE_DIAGONAL,
        /** C_ABOVE_DIAGONAL and C_BEFORE: C = A B where k <= m, without reading or clearing C first (attention's scores). */
        C_BEFORE_ABOVE_DIAGONAL,
        /** A[m, j] = 0 for j > m. */
        A_ABOVE_DIAGONAL,
        /** A[m, j] = 0 for j < m. */
        A_BELOW_DIAGONAL
    }

    /**
     * C [M, K] += A [M, J] B [J, K] on strided views: C[m, k] = c[cOff + m ldc + k];
     * A[m, j] = a[aOff + m lda + j], or a[aOff + j lda + m] when aT; B[j, k] = b[bOff + j ldb + k],
     * or b[bOff + k ldb + j] when bT. First B is packed once, in panels of P columns (zero
     * padded) each walked j-contiguous; then C is split into tasks (a block of whole MR-row
     * strips x a group of panels), each packing its rows of A per KC tile of j.
     */
    public static void multiply(float[] c, int cOff, int ldc, float[] a, int aOff, int lda, boolean aT, float[] b, int bOff, int ldb, boolean bT,
                                int m, int jn, int k, Zeros zeros, Parallel par) {
        if (m <= 0 || k <= 0 || jn <= 0) return;
        int panels = (k + P - 1) / P;
        float[] pb = Scratch.B.get(panels * P * jn);
        par.forRange(panels, 1, (from, to) -> { for (int p = from; p < to; p++) packB(pb, b, bOff, ldb, bT, jn, k, p); });
        // tasks: row blocks of whole strips, at most MC rows unless that makes more than
        // MAX_ROW_BLOCKS (Parallel's chunk limit: one task per chunk), sizes within one strip
        int strips = (m + MR - 1) / MR;
        int rowBlocks = Math.min(strips, Math.min(MAX_ROW_BLOCKS, (m + MC - 1) / MC));
        // small M (weight gradients of narrow layers): split the columns too, to feed every thread
        int wanted = par.threads() == 1 ? 1 : TASKS_PER_THREAD * par.threads();
        int groups = Math.min(panels, Math.max(1, (wanted + rowBlocks - 1) / rowBlocks));
        int maxStrips = (strips + rowBlocks - 1) / rowBlocks;
        Product g = new Product(c, cOff, ldc, a, aOff, lda, aT, pb, m, jn, k, zeros);
        par.forRange(rowBlocks * groups, 1, (from, to) -> {
            float[] pa = Scratch.A.get(maxStrips * MR * RS + L), tile = Scratch.TILE.get(MR * P);
            for (int t = from; t < to; t++) {
                int rb = t / groups, gi = t % groups;
                int r0 = MR * (int) ((long) rb * strips / rowBlocks), r1 = Math.min(m, MR * (int) ((long) (rb + 1) * strips / rowBlocks));
                task(g, r0, r1, gi * panels / groups, (gi + 1) * panels / groups, pa, tile);
            }
        });
    }

    private static final int MAX_ROW_BLOCKS = 16;
    private static final int TASKS_PER_THREAD = 4;

    /** One product's operands, B already packed. */
    private record Product(float[] c, int cOff, int ldc, float[] a, int aOff, int lda, boolean aT, float[] pb,
                           int m, int jn, int k, Zeros zeros) {}

    /** Panel p of B (columns [p P, p P + P)) -> pb[p jn P ..], P floats per j, zeros past column k. */
    private static void packB(float[] pb, float[] b, int bOff, int ldb, boolean bT, int jn, int k, int p) {
        int col = p * P, width = Math.min(P, k - col), base = p * jn * P;
        if (!bT && width == P) {   // whole rows of the panel: NR vector copies each
            for (int j = 0; j < jn; j++)
                for (int v = 0, o = bOff + j * ldb + col, d = base + j * P; v < NR; v++, o += L, d += L)
                    FloatVector.fromArray(S, b, o).intoArray(pb, d);
        } else if (!bT) {
            for (int j = 0; j < jn; j++) {
                System.arraycopy(b, bOff + j * ldb + col, pb, base + j * P, width);
                if (width < P) Arrays.fill(pb, base + j * P + width, base + j * P + P, 0f);
            }
        } else {
            for (int cc = 0; cc < P; cc++) {
                if (cc < width) { int row = bOff + (col + cc) * ldb; for (int j = 0; j < jn; j++) pb[base + j * P + cc] = b[row + j]; }
                else for (int j = 0; j < jn; j++) pb[base + j * P + cc] = 0f;
            }
        }
    }

    /**
     * Rows [r0, r1) x panels [p0, p1) of C, over all of j in KC tiles. A task with few panels
     * reads full strips of A in place (packing would cost as much as it saves) and packs only
     * a ragged last strip.
     */
    private static void task(Product g, int r0, int r1, int p0, int p1, float[] pa, float[] tile) {
        int m = g.m, jn = g.jn, k = g.k, ldc = g.ldc;
        float[] c = g.c, pb = g.pb;
        boolean direct = p1 - p0 <= DIRECT_PANELS && (!(g.aT && rowPacked(g)) || narrowColumns(g));   // transposed A in place: the slow tile unless narrow
        // the j range rows [r0, r1) need at all
        int jLo = g.zeros == Zeros.A_BELOW_DIAGONAL ? r0 : 0, jHi = g.zeros == Zeros.A_ABOVE_DIAGONAL ? Math.min(jn, r1 + MR - 1) : jn;
        for (int j0 = jLo - jLo % KC; j0 < jHi; j0 += KC) {
            int len = Math.min(jn, j0 + KC) - j0;
            packA(pa, g, r0, r1, j0, len, direct);
            for (int p = p0; p < p1; p++) {
                int col = p * P;
                boolean fullCols = col + P <= k;
                for (int r = r0; r < r1; r += MR) {
                    if (aboveDiagonalSkipped(g.zeros) && col >= r + MR) continue;   // the block is above the diagonal
                    int from = stripFrom(g.zeros, r, j0), to = stripTo(g.zeros, r, j0, len);
                    if (from >= to) continue;
                    int bOff = (p * jn + j0 + from) * P;
                    boolean fullRows = r + MR <= m, fresh = cBefore(g.zeros) && j0 == 0;
                    // C = A B: the 6 x 2 row tiles start from zero without reading C; elsewhere the
                    // first touch is a clear that the kernel reads back from L1
                    boolean zero = fresh && fullCols && fullRows && zeroStart(g, direct);
                    if (fresh && !zero) clear(c, g.cOff + r * ldc + col, ldc, Math.min(MR, m - r), Math.min(P, k - col));
                    if (fullCols && fullRows) { strip(g, direct, zero, c, g.cOff + r * ldc + col, ldc, pa, r0, r, j0, from, to, len, bOff); continue; }
                    // ragged edge: the kernel runs on a full-size copy of the valid part
                    int rows = Math.min(MR, m - r), cols = Math.min(P, k - col);
                    for (int i = 0; i < MR; i++) {
                        if (i < rows) System.arraycopy(c, g.cOff + (r + i) * ldc + col, tile, i * P, cols);
                        Arrays.fill(tile, i * P + (i < rows ? cols : 0), i * P + P, 0f);
                    }
                    strip(g, direct && fullRows, false, tile, 0, P, pa, r0, r, j0, from, to, len, bOff);
                    for (int i = 0; i < rows; i++) System.arraycopy(tile, i * P, c, g.cOff + (r + i) * ldc + col, cols);
                }
            }
        }
    }

    private static final int DIRECT_PANELS = 2;

    /** Whether strip() runs the 6 x 2 row tiles (AVX2, A by rows), which can start from zero instead of reading C. */
    private static boolean zeroStart(Product g, boolean direct) {
        return !WIDE && KernelChoice.zeroStartTiles && (direct ? !g.aT : rowPacked(g));
    }

    /** One register block over j in [j0 + from, j0 + to): A from its packed strip, or in place (direct); zero: C = A B without reading C (only where zeroStart). */
    private static void strip(Product g, boolean direct, boolean zero, float[] c, int cOff, int ldc, float[] pa, int r0, int r, int j0, int from, int to, int len, int bOff) {
        if (!direct && rowPacked(g)) rows12(c, cOff, ldc, zero, pa, (r - r0) * RS + from, RS, g.pb, bOff, to - from);
        else if (!direct) GemmKernel.rows12x2Transposed(c, cOff, ldc, pa, (r - r0) * len + from * MR, MR, g.pb, bOff, to - from);
        else if (g.aT && !WIDE) {
            GemmKernel.rows6x2Transposed(c, cOff, ldc, g.a, g.aOff + (j0 + from) * g.lda + r, g.lda, g.pb, bOff, to - from);
            GemmKernel.rows6x2Transposed(c, cOff + 6 * ldc, ldc, g.a, g.aOff + (j0 + from) * g.lda + r + 6, g.lda, g.pb, bOff, to - from);
        }
        else if (g.aT) GemmKernel.rows12x2Transposed(c, cOff, ldc, g.a, g.aOff + (j0 + from) * g.lda + r, g.lda, g.pb, bOff, to - from);
        else rows12(c, cOff, ldc, zero, g.a, g.aOff + r * g.lda + j0 + from, g.lda, g.pb, bOff, to - from);
    }

    /** 32 vector registers (AVX-512) hold the 12 x 2 tile's 24 accumulators; 16 (AVX2) do not: there, two 6 x 2 tiles. */
    private static final boolean WIDE = L >= 16;

    /**
     * C[12 rows] += A[12 rows, lda apart] x B panel, as one 12 x 2 tile or two 6 x 2 tiles: the same
     * FMA chain per element; zero (6 x 2 tiles only): C = A B, the chains starting from 0 as after a clear.
     */
    private static void rows12(float[] c, int cOff, int ldc, boolean zero, float[] a, int aOff, int lda, float[] b, int bOff, int len) {
        if (WIDE && lda == RS) GemmKernel.rows12x2Packed(c, cOff, ldc, a, aOff, b, bOff, len);
        else if (WIDE) GemmKernel.rows12x2(c, cOff, ldc, a, aOff, lda, b, bOff, len);
        else {
            GemmKernel.rows6x2(c, cOff, ldc, zero, a, aOff, lda, b, bOff, len);
            GemmKernel.rows6x2(c, cOff + 6 * ldc, ldc, zero, a, aOff + 6 * lda, lda, b, bOff, len);
        }
    }

    /**
     * Whether A's strips are packed as rows RS apart even when A is stored transposed (the
     * transposition then happens in the packing copy): on AVX2, where the kernels that broadcast
     * A from a column-packed strip (MR consecutive values per j) ran at 40-45% of the FMA peak and
     * the row-strip tiles at 90-95% (same thread, L1-resident operands).
     */
    private static boolean rowPacked(Product g) { return !g.aT || (!WIDE && KernelChoice.transposedAAsRows); }

    /** AVX2, A stored transposed and C at most DIRECT_PANELS panels wide (attention's dK, dV): A read in place by the 6 x 2 column tile. */
    private static boolean narrowColumns(Product g) { return !WIDE && g.aT && g.k <= DIRECT_PANELS * P && KernelChoice.transposedANarrowInPlace; }

    /** Zeros rows x cols of c from off, rows ld apart. */
    private static void clear(float[] c, int off, int ld, int rows, int cols) {
        FloatVector zero = FloatVector.zero(S);
        for (int i = 0; i < rows; i++, off += ld) {
            if (cols < P) { Arrays.fill(c, off, off + cols, 0f); continue; }
            for (int v = 0; v < NR; v++) zero.intoArray(c, off + v * L);
        }
    }

    private static boolean aboveDiagonalSkipped(Zeros z) { return z == Zeros.C_ABOVE_DIAGONAL || z == Zeros.C_BEFORE_ABOVE_DIAGONAL; }

    private static boolean cBefore(Zeros z) { return z == Zeros.C_BEFORE || z == Zeros.C_BEFORE_ABOVE_DIAGONAL; }

    /** The first j - j0 of the tile [j0, j0 + len) that strip r needs. */
    private static int stripFrom(Zeros zeros, int r, int j0) { return zeros == Zeros.A_BELOW_DIAGONAL ? Math.max(0, r - j0) : 0; }

    /** One past the last j - j0 of the tile that strip r needs. */
    private static int stripTo(Zeros zeros, int r, int j0, int len) { return zeros == Zeros.A_ABOVE_DIAGONAL ? Math.min(len, r + MR - j0) : len; }

    /** A [r0..r1, j0..j0+len] -> pa: strips of MR rows (zeros past row m), MR floats per j (only the j a strip needs; raggedOnly: only a last strip of fewer than MR rows). */
    private static void packA(float[] pa, Product g, int r0, int r1, int j0, int len, boolean raggedOnly) {
        float[] a = g.a;
        int m = g.m, lda = g.lda;
        for (int r = r0; r < r1; r += MR) {
            int base = (r - r0) * len, rows = Math.min(MR, m - r);
            if (raggedOnly && rows == MR) continue;
            int from = stripFrom(g.zeros, r, j0), to = stripTo(g.zeros, r, j0, len);
            if (g.aT && rowPacked(g)) {   // transposed into rows RS apart, zeros past row m
                int d = (r - r0) * RS;
                if (rows == MR) { transposeStrip(pa, d, a, g.aOff + j0 * lda + r, lda, from, to); continue; }
                for (int j = from; j < to; j++) {
                    int o = g.aOff + (j0 + j) * lda + r;
                    for (int i = 0; i < rows; i++) pa[d + i * RS + j] = a[o + i];
                }
                for (int i = rows; i < MR; i++) Arrays.fill(pa, d + i * RS + from, d + i * RS + to, 0f);
                continue;
            }
            if (g.aT && rows == MR && MR <= L) {
                // the strip's MR values of each j are contiguous in A: one vector copy each, whose
                // L - MR extra lanes land where the next j (or strip) is written after it, or in pa's slack
                int j = from;
                for (; j < to && g.aOff + (j0 + j) * lda + r + L <= a.length; j++)
                    FloatVector.fromArray(S, a, g.aOff + (j0 + j) * lda + r).intoArray(pa, base + j * MR);
                for (; j < to; j++) for (int i = 0; i < MR; i++) pa[base + j * MR + i] = a[g.aOff + (j0 + j) * lda + r + i];
                continue;
            }
            if (g.aT) {   // the strip's MR values of each j are contiguous in A
                if (rows < MR) Arrays.fill(pa, base + from * MR, base + to * MR, 0f);
                for (int j = from; j < to; j++) {
                    int o = g.aOff + (j0 + j) * lda + r, d = base + j * MR;
                    for (int i = 0; i < rows; i++) pa[d + i] = a[o + i];
                }
                continue;
            }
            // row-packed: the strip's rows copied RS apart (rows past m are zeros)
            for (int i = 0; i < MR; i++) {
                int d = (r - r0) * RS + i * RS;
                if (i < rows) System.arraycopy(a, g.aOff + (r + i) * lda + j0 + from, pa, d + from, to - from);
                else Arrays.fill(pa, d + from, d + to, 0f);
            }
        }
    }

    /** pa[d + i RS + j] = a[o + j lda + i] for the MR rows i and j in [from, to): one strip of a transposed A, unrolled over its rows. */
    private static void transposeStrip(float[] pa, int d, float[] a, int o, int lda, int from, int to) {
        for (int j = from, s = o + from * lda; j < to; j++, s += lda) {
            int t = d + j;
            pa[t] = a[s]; pa[t + RS] = a[s + 1]; pa[t + 2 * RS] = a[s + 2]; pa[t + 3 * RS] = a[s + 3];
            pa[t + 4 * RS] = a[s + 4]; pa[t + 5 * RS] = a[s + 5]; pa[t + 6 * RS] = a[s + 6]; pa[t + 7 * RS] = a[s + 7];
            pa[t + 8 * RS] = a[s + 8]; pa[t + 9 * RS] = a[s + 9]; pa[t + 10 * RS] = a[s + 10]; pa[t + 11 * RS] = a[s + 11];
        }
    }

    /** Per-thread scratch arrays, grown on demand and reused: the training step allocates nothing per call. */
    private enum Scratch {
        A, B, TILE;
        private final ThreadLocal<float[]> buffer = ThreadLocal.withInitial(() -> new float[0]);

        float[] get(int size) {
            float[] f = buffer.get();
            if (f.length < size) { f = new float[size]; buffer.set(f); }
            return f;
        }
    }

    /** {@link #multiply} one element at a time: C[m, k] = the FMA chain over j of A[m, j] B[j, k], from C[m, k] (from 0 with C_BEFORE). */
    public static void reference(float[] c, int cOff, int ldc, float[] a, int aOff, int lda, boolean aT, float[] b, int bOff, int ldb, boolean bT,
                                 int m, int jn, int k, Zeros zeros) {
        for (int r = 0; r < m; r++)
            for (int col = 0; col < k; col++) {
                if (aboveDiagonalSkipped(zeros) && col > r) continue;
                float acc = cBefore(zeros) ? 0f : c[cOff + r * ldc + col];
                for (int j = 0; j < jn; j++) {
                    float av = aT ? a[aOff + j * lda + r] : a[aOff + r * lda + j], bv = bT ? b[bOff + col * ldb + j] : b[bOff + j * ldb + col];
                    acc = Math.fma(av, bv, acc);
                }
                c[cOff + r * ldc + col] = acc;
            }
    }
}
