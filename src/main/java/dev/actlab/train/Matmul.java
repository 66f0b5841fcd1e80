package dev.actlab.train;

import dev.actlab.tensor.Parallel;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * y = x W^T with W [out, in] row-major (the layout of dev.actlab.tensor.F32Matrix).
 * All three products (forward, dx, dW) are one kernel, C [M, K] += A [M, J] B [J, K], where A
 * and B may each be stored transposed (W for forward, dy for dW): the transposition happens in
 * the packing copies the kernel needs anyway. Every element of C is C + sum_j A[m, j] B[j, k]
 * with fused multiply-adds in j order, whatever the blocking, and each tile of C belongs to one
 * thread: results are bit-identical across thread counts. The register block is MR = 12 rows x
 * NR = 2 vectors (24 accumulators of AVX-512's 32 registers); MatmulTest checks every layout and
 * ragged shape against the scalar chain.
 */
public final class Matmul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** The register block: MR rows x NR vectors of C (MR * NR accumulators, NR + MR loads per j). */
    static final int MR = 12, NR = 2, P = NR * L;
    /** J tile (a packed strip of B, KC x P floats, stays in L1) and the rows a task aims at (its packed A stays in L2). */
    private static final int KC = 256, MC = 8 * MR;
    /** Row stride of a row-packed strip of A: KC plus 16 floats, so that the MR rows do not share L1 sets. */
    private static final int RS = KC + 16;
    /** Runs a product on the calling thread, for callers that split the work themselves. */
    static final Parallel SERIAL = new Parallel(1);

    private Matmul() {}

    /** y [N, out] = x [N, in] W^T, W [out, in]. */
    public static void forward(float[] y, float[] x, float[] w, int n, int in, int out, Parallel par) {
        if (in == 0) { Arrays.fill(y, 0, n * out, 0f); return; }
        gemm(y, 0, out, x, 0, in, false, w, 0, in, true, n, in, out, Zeros.C_BEFORE, par);
    }

    /** dx [N, in] += dy [N, out] W; dw [out, in] += dy^T x; either is skipped when null. */
    public static void backward(float[] dx, float[] dw, float[] dy, float[] x, float[] w, int n, int in, int out, Parallel par) {
        if (dx != null) gemm(dx, dy, false, w, false, n, out, in, par);
        if (dw != null) gemm(dw, dy, true, x, false, out, n, in, par);
    }

    /**
     * C [M, K] += A [M, J] B [J, K], all contiguous and row-major except that A is stored
     * [J, M] when aT and B is stored [K, J] when bT.
     */
    static void gemm(float[] c, float[] a, boolean aT, float[] b, boolean bT, int m, int jn, int k, Parallel par) {
        gemm(c, 0, k, a, 0, aT ? m : jn, aT, b, 0, bT ? jn : k, bT, m, jn, k, Zeros.NONE, par);
    }

    /** The same product on the calling thread, for callers that split the work themselves. */
    static void gemmSerial(float[] c, float[] a, boolean aT, float[] b, boolean bT, int m, int jn, int k) {
        gemm(c, a, aT, b, bT, m, jn, k, SERIAL);
    }

    /**
     * What a product may take as zero without looking: C before the product (forward), or
     * the causal masks of attention in a square product (M = J or J = K, rows and columns both
     * positions). Skipping a term that is exactly zero leaves each element's chain of fused
     * multiply-adds unchanged (up to the sign of a zero).
     */
    enum Zeros {
        NONE,
        /** C's previous contents count as zero: C = A B, without reading C or clearing it first. */
        C_BEFORE,
        /** Only C[m, k] with k <= m is wanted: blocks of C wholly above the diagonal are left as they were. */
        C_ABOVE_DIAGONAL,
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
    static void gemm(float[] c, int cOff, int ldc, float[] a, int aOff, int lda, boolean aT, float[] b, int bOff, int ldb, boolean bT,
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
        boolean direct = p1 - p0 <= DIRECT_PANELS;
        // the j range rows [r0, r1) need at all
        int jLo = g.zeros == Zeros.A_BELOW_DIAGONAL ? r0 : 0, jHi = g.zeros == Zeros.A_ABOVE_DIAGONAL ? Math.min(jn, r1 + MR - 1) : jn;
        for (int j0 = jLo - jLo % KC; j0 < jHi; j0 += KC) {
            int len = Math.min(jn, j0 + KC) - j0;
            packA(pa, g, r0, r1, j0, len, direct);
            for (int p = p0; p < p1; p++) {
                int col = p * P;
                boolean fullCols = col + P <= k;
                for (int r = r0; r < r1; r += MR) {
                    if (g.zeros == Zeros.C_ABOVE_DIAGONAL && col >= r + MR) continue;   // the block is above the diagonal
                    int from = stripFrom(g.zeros, r, j0), to = stripTo(g.zeros, r, j0, len);
                    if (from >= to) continue;
                    int bOff = (p * jn + j0 + from) * P;
                    boolean fullRows = r + MR <= m;
                    // C = A B: its first touch is a clear that the kernel reads back from L1
                    if (g.zeros == Zeros.C_BEFORE && j0 == 0) clear(c, g.cOff + r * ldc + col, ldc, Math.min(MR, m - r), Math.min(P, k - col));
                    if (fullCols && fullRows) { strip(g, direct, c, g.cOff + r * ldc + col, ldc, pa, r0, r, j0, from, to, len, bOff); continue; }
                    // ragged edge: the kernel runs on a full-size copy of the valid part
                    int rows = Math.min(MR, m - r), cols = Math.min(P, k - col);
                    for (int i = 0; i < MR; i++) {
                        if (i < rows) System.arraycopy(c, g.cOff + (r + i) * ldc + col, tile, i * P, cols);
                        Arrays.fill(tile, i * P + (i < rows ? cols : 0), i * P + P, 0f);
                    }
                    strip(g, direct && fullRows, tile, 0, P, pa, r0, r, j0, from, to, len, bOff);
                    for (int i = 0; i < rows; i++) System.arraycopy(tile, i * P, c, g.cOff + (r + i) * ldc + col, cols);
                }
            }
        }
    }

    private static final int DIRECT_PANELS = 2;

    /** One register block over j in [j0 + from, j0 + to): A from its packed strip, or in place (direct). */
    private static void strip(Product g, boolean direct, float[] c, int cOff, int ldc, float[] pa, int r0, int r, int j0, int from, int to, int len, int bOff) {
        if (!direct && !g.aT) kernelPackedRows(c, cOff, ldc, pa, (r - r0) * RS + from, g.pb, bOff, to - from);
        else if (!direct) kernel(c, cOff, ldc, pa, (r - r0) * len + from * MR, MR, g.pb, bOff, to - from);
        else if (g.aT) kernel(c, cOff, ldc, g.a, g.aOff + (j0 + from) * g.lda + r, g.lda, g.pb, bOff, to - from);
        else kernelRows(c, cOff, ldc, g.a, g.aOff + r * g.lda + j0 + from, g.lda, g.pb, bOff, to - from);
    }

    /** Zeros rows x cols of c from off, rows ld apart. */
    private static void clear(float[] c, int off, int ld, int rows, int cols) {
        FloatVector zero = FloatVector.zero(S);
        for (int i = 0; i < rows; i++, off += ld) {
            if (cols < P) { Arrays.fill(c, off, off + cols, 0f); continue; }
            for (int v = 0; v < NR; v++) zero.intoArray(c, off + v * L);
        }
    }

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

    /**
     * C[MR rows from cOff, ldc apart][P columns] += A-strip x pb-strip over len values of j:
     * A[i, j] = a[aOff + j aStep + i] (a packed strip: aStep = MR; or A stored transposed), B
     * P floats per j from bOff. MR x NR accumulators in registers, one fused multiply-add chain
     * per element in j order.
     */
    private static void kernel(float[] c, int cOff, int ldc, float[] a, int aOff, int aStep, float[] pb, int bOff, int len) {
        int c0 = cOff, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc, c6 = c5 + ldc, c7 = c6 + ldc, c8 = c7 + ldc, c9 = c8 + ldc, c10 = c9 + ldc, c11 = c10 + ldc;
        FloatVector s0 = FloatVector.fromArray(S, c, c0), t0 = FloatVector.fromArray(S, c, c0 + 1 * L);
        FloatVector s1 = FloatVector.fromArray(S, c, c1), t1 = FloatVector.fromArray(S, c, c1 + 1 * L);
        FloatVector s2 = FloatVector.fromArray(S, c, c2), t2 = FloatVector.fromArray(S, c, c2 + 1 * L);
        FloatVector s3 = FloatVector.fromArray(S, c, c3), t3 = FloatVector.fromArray(S, c, c3 + 1 * L);
        FloatVector s4 = FloatVector.fromArray(S, c, c4), t4 = FloatVector.fromArray(S, c, c4 + 1 * L);
        FloatVector s5 = FloatVector.fromArray(S, c, c5), t5 = FloatVector.fromArray(S, c, c5 + 1 * L);
        FloatVector s6 = FloatVector.fromArray(S, c, c6), t6 = FloatVector.fromArray(S, c, c6 + 1 * L);
        FloatVector s7 = FloatVector.fromArray(S, c, c7), t7 = FloatVector.fromArray(S, c, c7 + 1 * L);
        FloatVector s8 = FloatVector.fromArray(S, c, c8), t8 = FloatVector.fromArray(S, c, c8 + 1 * L);
        FloatVector s9 = FloatVector.fromArray(S, c, c9), t9 = FloatVector.fromArray(S, c, c9 + 1 * L);
        FloatVector s10 = FloatVector.fromArray(S, c, c10), t10 = FloatVector.fromArray(S, c, c10 + 1 * L);
        FloatVector s11 = FloatVector.fromArray(S, c, c11), t11 = FloatVector.fromArray(S, c, c11 + 1 * L);
        for (int j = 0, ao = aOff, bo = bOff; j < len; j++, ao += aStep, bo += P) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bo), b1 = FloatVector.fromArray(S, pb, bo + 1 * L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ao + 0]); s0 = x.fma(b0, s0); t0 = x.fma(b1, t0);
            x = FloatVector.broadcast(S, a[ao + 1]); s1 = x.fma(b0, s1); t1 = x.fma(b1, t1);
            x = FloatVector.broadcast(S, a[ao + 2]); s2 = x.fma(b0, s2); t2 = x.fma(b1, t2);
            x = FloatVector.broadcast(S, a[ao + 3]); s3 = x.fma(b0, s3); t3 = x.fma(b1, t3);
            x = FloatVector.broadcast(S, a[ao + 4]); s4 = x.fma(b0, s4); t4 = x.fma(b1, t4);
            x = FloatVector.broadcast(S, a[ao + 5]); s5 = x.fma(b0, s5); t5 = x.fma(b1, t5);
            x = FloatVector.broadcast(S, a[ao + 6]); s6 = x.fma(b0, s6); t6 = x.fma(b1, t6);
            x = FloatVector.broadcast(S, a[ao + 7]); s7 = x.fma(b0, s7); t7 = x.fma(b1, t7);
            x = FloatVector.broadcast(S, a[ao + 8]); s8 = x.fma(b0, s8); t8 = x.fma(b1, t8);
            x = FloatVector.broadcast(S, a[ao + 9]); s9 = x.fma(b0, s9); t9 = x.fma(b1, t9);
            x = FloatVector.broadcast(S, a[ao + 10]); s10 = x.fma(b0, s10); t10 = x.fma(b1, t10);
            x = FloatVector.broadcast(S, a[ao + 11]); s11 = x.fma(b0, s11); t11 = x.fma(b1, t11);
        }
        s0.intoArray(c, c0); t0.intoArray(c, c0 + 1 * L);
        s1.intoArray(c, c1); t1.intoArray(c, c1 + 1 * L);
        s2.intoArray(c, c2); t2.intoArray(c, c2 + 1 * L);
        s3.intoArray(c, c3); t3.intoArray(c, c3 + 1 * L);
        s4.intoArray(c, c4); t4.intoArray(c, c4 + 1 * L);
        s5.intoArray(c, c5); t5.intoArray(c, c5 + 1 * L);
        s6.intoArray(c, c6); t6.intoArray(c, c6 + 1 * L);
        s7.intoArray(c, c7); t7.intoArray(c, c7 + 1 * L);
        s8.intoArray(c, c8); t8.intoArray(c, c8 + 1 * L);
        s9.intoArray(c, c9); t9.intoArray(c, c9 + 1 * L);
        s10.intoArray(c, c10); t10.intoArray(c, c10 + 1 * L);
        s11.intoArray(c, c11); t11.intoArray(c, c11 + 1 * L);
    }

    /**
     * The same as {@link #kernel}, A from a row-packed strip: A[i, j] = pa[aOff + i RS + j]
     * (the constant row stride lets every broadcast address the strip from one register).
     */
    private static void kernelPackedRows(float[] c, int cOff, int ldc, float[] pa, int aOff, float[] pb, int bOff, int len) {
        int c0 = cOff, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc, c6 = c5 + ldc, c7 = c6 + ldc, c8 = c7 + ldc, c9 = c8 + ldc, c10 = c9 + ldc, c11 = c10 + ldc;
        FloatVector s0 = FloatVector.fromArray(S, c, c0), t0 = FloatVector.fromArray(S, c, c0 + 1 * L);
        FloatVector s1 = FloatVector.fromArray(S, c, c1), t1 = FloatVector.fromArray(S, c, c1 + 1 * L);
        FloatVector s2 = FloatVector.fromArray(S, c, c2), t2 = FloatVector.fromArray(S, c, c2 + 1 * L);
        FloatVector s3 = FloatVector.fromArray(S, c, c3), t3 = FloatVector.fromArray(S, c, c3 + 1 * L);
        FloatVector s4 = FloatVector.fromArray(S, c, c4), t4 = FloatVector.fromArray(S, c, c4 + 1 * L);
        FloatVector s5 = FloatVector.fromArray(S, c, c5), t5 = FloatVector.fromArray(S, c, c5 + 1 * L);
        FloatVector s6 = FloatVector.fromArray(S, c, c6), t6 = FloatVector.fromArray(S, c, c6 + 1 * L);
        FloatVector s7 = FloatVector.fromArray(S, c, c7), t7 = FloatVector.fromArray(S, c, c7 + 1 * L);
        FloatVector s8 = FloatVector.fromArray(S, c, c8), t8 = FloatVector.fromArray(S, c, c8 + 1 * L);
        FloatVector s9 = FloatVector.fromArray(S, c, c9), t9 = FloatVector.fromArray(S, c, c9 + 1 * L);
        FloatVector s10 = FloatVector.fromArray(S, c, c10), t10 = FloatVector.fromArray(S, c, c10 + 1 * L);
        FloatVector s11 = FloatVector.fromArray(S, c, c11), t11 = FloatVector.fromArray(S, c, c11 + 1 * L);
        for (int j = 0, ao = aOff, bo = bOff; j < len; j++, ao++, bo += P) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bo), b1 = FloatVector.fromArray(S, pb, bo + 1 * L);
            FloatVector x;
            x = FloatVector.broadcast(S, pa[ao]); s0 = x.fma(b0, s0); t0 = x.fma(b1, t0);
            x = FloatVector.broadcast(S, pa[ao + 1 * RS]); s1 = x.fma(b0, s1); t1 = x.fma(b1, t1);
            x = FloatVector.broadcast(S, pa[ao + 2 * RS]); s2 = x.fma(b0, s2); t2 = x.fma(b1, t2);
            x = FloatVector.broadcast(S, pa[ao + 3 * RS]); s3 = x.fma(b0, s3); t3 = x.fma(b1, t3);
            x = FloatVector.broadcast(S, pa[ao + 4 * RS]); s4 = x.fma(b0, s4); t4 = x.fma(b1, t4);
            x = FloatVector.broadcast(S, pa[ao + 5 * RS]); s5 = x.fma(b0, s5); t5 = x.fma(b1, t5);
            x = FloatVector.broadcast(S, pa[ao + 6 * RS]); s6 = x.fma(b0, s6); t6 = x.fma(b1, t6);
            x = FloatVector.broadcast(S, pa[ao + 7 * RS]); s7 = x.fma(b0, s7); t7 = x.fma(b1, t7);
            x = FloatVector.broadcast(S, pa[ao + 8 * RS]); s8 = x.fma(b0, s8); t8 = x.fma(b1, t8);
            x = FloatVector.broadcast(S, pa[ao + 9 * RS]); s9 = x.fma(b0, s9); t9 = x.fma(b1, t9);
            x = FloatVector.broadcast(S, pa[ao + 10 * RS]); s10 = x.fma(b0, s10); t10 = x.fma(b1, t10);
            x = FloatVector.broadcast(S, pa[ao + 11 * RS]); s11 = x.fma(b0, s11); t11 = x.fma(b1, t11);
        }
        s0.intoArray(c, c0); t0.intoArray(c, c0 + 1 * L);
        s1.intoArray(c, c1); t1.intoArray(c, c1 + 1 * L);
        s2.intoArray(c, c2); t2.intoArray(c, c2 + 1 * L);
        s3.intoArray(c, c3); t3.intoArray(c, c3 + 1 * L);
        s4.intoArray(c, c4); t4.intoArray(c, c4 + 1 * L);
        s5.intoArray(c, c5); t5.intoArray(c, c5 + 1 * L);
        s6.intoArray(c, c6); t6.intoArray(c, c6 + 1 * L);
        s7.intoArray(c, c7); t7.intoArray(c, c7 + 1 * L);
        s8.intoArray(c, c8); t8.intoArray(c, c8 + 1 * L);
        s9.intoArray(c, c9); t9.intoArray(c, c9 + 1 * L);
        s10.intoArray(c, c10); t10.intoArray(c, c10 + 1 * L);
        s11.intoArray(c, c11); t11.intoArray(c, c11 + 1 * L);
    }

    /** The same as {@link #kernel}, A read in place from MR rows lda apart: A[i, j] = a[aOff + i lda + j]. */
    private static void kernelRows(float[] c, int cOff, int ldc, float[] a, int aOff, int lda, float[] pb, int bOff, int len) {
        int a0 = aOff, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda, a8 = a7 + lda, a9 = a8 + lda, a10 = a9 + lda, a11 = a10 + lda;
        int c0 = cOff, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc, c6 = c5 + ldc, c7 = c6 + ldc, c8 = c7 + ldc, c9 = c8 + ldc, c10 = c9 + ldc, c11 = c10 + ldc;
        FloatVector s0 = FloatVector.fromArray(S, c, c0), t0 = FloatVector.fromArray(S, c, c0 + 1 * L);
        FloatVector s1 = FloatVector.fromArray(S, c, c1), t1 = FloatVector.fromArray(S, c, c1 + 1 * L);
        FloatVector s2 = FloatVector.fromArray(S, c, c2), t2 = FloatVector.fromArray(S, c, c2 + 1 * L);
        FloatVector s3 = FloatVector.fromArray(S, c, c3), t3 = FloatVector.fromArray(S, c, c3 + 1 * L);
        FloatVector s4 = FloatVector.fromArray(S, c, c4), t4 = FloatVector.fromArray(S, c, c4 + 1 * L);
        FloatVector s5 = FloatVector.fromArray(S, c, c5), t5 = FloatVector.fromArray(S, c, c5 + 1 * L);
        FloatVector s6 = FloatVector.fromArray(S, c, c6), t6 = FloatVector.fromArray(S, c, c6 + 1 * L);
        FloatVector s7 = FloatVector.fromArray(S, c, c7), t7 = FloatVector.fromArray(S, c, c7 + 1 * L);
        FloatVector s8 = FloatVector.fromArray(S, c, c8), t8 = FloatVector.fromArray(S, c, c8 + 1 * L);
        FloatVector s9 = FloatVector.fromArray(S, c, c9), t9 = FloatVector.fromArray(S, c, c9 + 1 * L);
        FloatVector s10 = FloatVector.fromArray(S, c, c10), t10 = FloatVector.fromArray(S, c, c10 + 1 * L);
        FloatVector s11 = FloatVector.fromArray(S, c, c11), t11 = FloatVector.fromArray(S, c, c11 + 1 * L);
        for (int j = 0, bo = bOff; j < len; j++, bo += P) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bo), b1 = FloatVector.fromArray(S, pb, bo + 1 * L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[a0 + j]); s0 = x.fma(b0, s0); t0 = x.fma(b1, t0);
            x = FloatVector.broadcast(S, a[a1 + j]); s1 = x.fma(b0, s1); t1 = x.fma(b1, t1);
            x = FloatVector.broadcast(S, a[a2 + j]); s2 = x.fma(b0, s2); t2 = x.fma(b1, t2);
            x = FloatVector.broadcast(S, a[a3 + j]); s3 = x.fma(b0, s3); t3 = x.fma(b1, t3);
            x = FloatVector.broadcast(S, a[a4 + j]); s4 = x.fma(b0, s4); t4 = x.fma(b1, t4);
            x = FloatVector.broadcast(S, a[a5 + j]); s5 = x.fma(b0, s5); t5 = x.fma(b1, t5);
            x = FloatVector.broadcast(S, a[a6 + j]); s6 = x.fma(b0, s6); t6 = x.fma(b1, t6);
            x = FloatVector.broadcast(S, a[a7 + j]); s7 = x.fma(b0, s7); t7 = x.fma(b1, t7);
            x = FloatVector.broadcast(S, a[a8 + j]); s8 = x.fma(b0, s8); t8 = x.fma(b1, t8);
            x = FloatVector.broadcast(S, a[a9 + j]); s9 = x.fma(b0, s9); t9 = x.fma(b1, t9);
            x = FloatVector.broadcast(S, a[a10 + j]); s10 = x.fma(b0, s10); t10 = x.fma(b1, t10);
            x = FloatVector.broadcast(S, a[a11 + j]); s11 = x.fma(b0, s11); t11 = x.fma(b1, t11);
        }
        s0.intoArray(c, c0); t0.intoArray(c, c0 + 1 * L);
        s1.intoArray(c, c1); t1.intoArray(c, c1 + 1 * L);
        s2.intoArray(c, c2); t2.intoArray(c, c2 + 1 * L);
        s3.intoArray(c, c3); t3.intoArray(c, c3 + 1 * L);
        s4.intoArray(c, c4); t4.intoArray(c, c4 + 1 * L);
        s5.intoArray(c, c5); t5.intoArray(c, c5 + 1 * L);
        s6.intoArray(c, c6); t6.intoArray(c, c6 + 1 * L);
        s7.intoArray(c, c7); t7.intoArray(c, c7 + 1 * L);
        s8.intoArray(c, c8); t8.intoArray(c, c8 + 1 * L);
        s9.intoArray(c, c9); t9.intoArray(c, c9 + 1 * L);
        s10.intoArray(c, c10); t10.intoArray(c, c10 + 1 * L);
        s11.intoArray(c, c11); t11.intoArray(c, c11 + 1 * L);
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

    /** sum_i a[aOff + i] * b[bOff + i]: one vector accumulator in index order, then the scalar tail. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        int i = 0, upper = S.loopBound(len);
        FloatVector acc = FloatVector.zero(S);
        for (; i < upper; i += S.length())
            acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
        float sum = laneSum(acc);
        for (; i < len; i++) sum += a[aOff + i] * b[bOff + i];
        return sum;
    }

    /**
     * The sum of v's lanes in the pairwise order of dev.actlab.tensor.Lanes.sum (lane i += lane
     * i + half, halving), with vector shifts instead of a temporary array.
     */
    static float laneSum(FloatVector v) {
        for (int half = v.length() >> 1; half > 0; half >>= 1) v = v.add(v.slice(half));
        return v.lane(0);
    }

    /** y[yOff + i] += alpha * x[xOff + i]. */
    static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int len) {
        int i = 0, upper = S.loopBound(len);
        FloatVector a = FloatVector.broadcast(S, alpha);
        for (; i < upper; i += S.length())
            FloatVector.fromArray(S, x, xOff + i).fma(a, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        for (; i < len; i++) y[yOff + i] += alpha * x[xOff + i];
    }
}
