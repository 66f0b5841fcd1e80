package dev.actlab.tensor;

import java.util.Arrays;

/**
 * Prefill's out = x W^T for many tokens as a real GEMM on float32 tiles: W [rows, cols] (any
 * stored format that can dequantize a stretch of a row, {@link Tiles}) is dequantized KC columns
 * of a few 12-row strips at a time into a row-packed float strip, once, and that strip is applied
 * to every token through {@link GemmKernel#rows12x2Packed} (12 weight rows x 2 vectors of tokens,
 * 24 FMAs per 2 loads, no horizontal sums; two 6 x 2 tiles with AVX2's 16 registers). The tokens are packed once per call as x^T panels of
 * P = 2 L tokens (zeros past n).
 *
 * <p>Every output is one FMA chain over k in order, from zero: out[t, r] = fma(W[r, k], x[t, k], ...).
 * It does not depend on the blocking, the tile or the thread that runs it: the bits are the same
 * for any thread count. {@link #reference} is that chain one element at a time (on the scalar
 * {@link WeightMatrix#dequantizeRow}).
 */
final class TiledMatmul {
    /** Tokens from which the weight formats take this path; fewer use their per-row dot kernels. */
    static final int MIN_TOKENS = 16;
    private static final int MR = GemmKernel.MR, P = GemmKernel.P2, P4 = GemmKernel.P4, RS = GemmKernel.RS, KC = Gemm.KC;
    /** Strips per block: their dequantized KC columns (8 x 12 x RS floats, ~100 KB) stay in L2 while every token panel passes. */
    private static final int STRIPS = 8;
    /** 32 vector registers (AVX-512): the 12 x 2 tile's 24 accumulators fit; with 16 (AVX2) they would spill. */
    private static final boolean WIDE = GemmKernel.L >= 16;

    private TiledMatmul() {}

    /** A weight matrix that can write W[row, col : col + len] as float32, col and len whole blocks of its format. */
    interface Tiles extends WeightMatrix {
        /** dst[off : off + len] = W[row, col : col + len], the same floats {@link #dequantizeRow} writes. */
        void dequantize(int row, int col, int len, float[] dst, int off);
    }

    /** out[t, r] = W[r, :] . x[t, :] for t < n: x is [n, cols], out is [n, rows]. */
    static void multiply(Tiles w, float[] x, int n, float[] out, Parallel par) {
        multiplyGroup(new Tiles[]{w}, x, n, new float[][]{out}, par);
    }

    /**
     * outs[m] = x ws[m]^T for matrices that read the same x (a layer's q, k, v; gate, up): x packed once, and every
     * matrix's strips in one parallel region (one hand-off instead of two per matrix). Each output is the chain of
     * {@link #multiply}, so the same bits.
     */
    static void multiplyGroup(Tiles[] ws, float[] x, int n, float[][] outs, Parallel par) {
        int cols = ws[0].cols();
        int[] first = new int[ws.length + 1];   // the group's strips: matrix m has [first[m], first[m + 1])
        for (int m = 0; m < ws.length; m++) {
            int rows = ws[m].rows();
            if (ws[m].cols() != cols || x.length < (long) n * cols || outs[m].length < (long) n * rows)
                throw new IllegalArgumentException("matmul of [" + rows + ", " + ws[m].cols() + "] with " + n + " tokens needs x of " + (long) n * ws[m].cols() + " and out of " + (long) n * rows + " floats");
            first[m + 1] = first[m] + (rows + MR - 1) / MR;
        }
        if (n <= 0 || first[ws.length] == 0) return;
        Panels pn = Panels.of(n);
        int kChunks = (cols + KC - 1) / KC;
        // x^T in panels: panel p of width w from token t0 holds pb[t0 cols + k w + i] = x[t0 + i, k] (0 past n); shared,
        // read-only, by all threads
        float[] pb = Scratch.X.get(Math.multiplyExact(pn.nPad, cols));
        par.forRange(pn.count * kChunks, 1, (from, to) -> {
            for (int b = from; b < to; b++) {
                int p = b / kChunks;
                packX(x, n, cols, pb, pn.start(p), pn.width(p), (b % kChunks) * KC);
            }
        });
        par.forRange(first[ws.length], 1, (from, to) -> {
            float[] a = Scratch.A.get(STRIPS * MR * RS * (streamRows(kChunks) ? kChunks : 1)), c = Scratch.C.get(STRIPS * MR * (pn.nPad + 16));
            for (int m = 0; m < ws.length; m++) {
                int lo = Math.max(from, first[m]) - first[m], hi = Math.min(to, first[m + 1]) - first[m];
                for (int s = lo; s < hi; s += STRIPS) block(ws[m], x, n, outs[m], pb, pn, s, Math.min(hi, s + STRIPS), a, c);
            }
        });
    }

    /**
     * The token panels of a call: with {@link KernelChoice#prefillWidePanels} (and 32 registers) as many panels of 4
     * vectors (P4 tokens, for the 6 x 4 tile: 6 broadcasts of W per 24 FMAs instead of 12) as n fills, the rest in panels
     * of 2 vectors (P2, the 12 x 2 tile); else all of 2 vectors.
     */
    private record Panels(int wide, int count, int nPad) {
        static Panels of(int n) {
            int wide = WIDE && KernelChoice.prefillWidePanels ? n / P4 : 0;
            int narrow = (n - wide * P4 + P - 1) / P;
            return new Panels(wide, wide + narrow, wide * P4 + narrow * P);
        }

        int start(int p) { return p < wide ? p * P4 : wide * P4 + (p - wide) * P; }

        int width(int p) { return p < wide ? P4 : P; }
    }

    /**
     * {@link KernelChoice#prefillRowStream}: a block dequantizes all its columns up front when they fit ~320 KB of L2
     * (up to 3 chunks of KC columns: rows of <= 768), else one KC chunk at a time.
     */
    private static boolean streamRows(int kChunks) { return KernelChoice.prefillRowStream && kChunks <= 3; }

    /** Panel of width w from token t0, columns [k0, k0 + KC) of x^T. */
    private static void packX(float[] x, int n, int cols, float[] pb, int t0, int w, int k0) {
        int k1 = Math.min(cols, k0 + KC);
        for (int i = 0; i < w; i++) {
            int t = t0 + i;
            int d = t0 * cols + k0 * w + i;
            if (t >= n) { for (int k = k0; k < k1; k++, d += w) pb[d] = 0f; continue; }
            for (int k = k0, s = t * cols + k0; k < k1; k++, s++, d += w) pb[d] = x[s];
        }
    }

    /** Columns [k0, k0 + len) of row r into a at d, or zeros for a padding row (r >= r1, past the matrix). */
    private static void dequantizeRow(Tiles w, int r, int r1, int k0, int len, float[] a, int d) {
        if (r < r1) w.dequantize(r, k0, len, a, d);
        else Arrays.fill(a, d, d + len, 0f);
    }

    /** Strips [s0, s1) (rows 12 s0 .. 12 s1 - 1) for all tokens, then written to out. */
    private static void block(Tiles w, float[] x, int n, float[] out, float[] pb, Panels pn, int s0, int s1, float[] a, float[] c) {
        int rows = w.rows(), cols = w.cols(), r0 = s0 * MR, r1 = Math.min(rows, s1 * MR), nPad = pn.nPad;
        // tokenMajor: C rows padded by a line, so that a column of C (one token) does not map to one L1 set; out then
        // written a token (row of out) at a time: row by row, a [n, 2048] out at its 8 KB stride missed L1 on every write
        boolean tokenMajor = KernelChoice.prefillTokenMajor;
        int ldc = tokenMajor ? nPad + 16 : nPad;
        // C from zeros here, not with the tiles' zero flag: that flag (a zero vector or a loaded one) ran at half speed
        // under the launcher's serial collector with its 8 MB young generation (TiledBench: 34 against 68 GFLOP per CPU-s)
        Arrays.fill(c, 0, (s1 - s0) * MR * ldc, 0f);
        int kChunks = (cols + KC - 1) / KC, chunk = STRIPS * MR * RS;
        boolean stream = streamRows(kChunks);
        if (stream)   // the block's rows (consecutive in the file) in one pass: one long sequential read, not 12 short ones per chunk
            for (int r = r0; r < s1 * MR; r++)
                for (int k0 = 0, d = (r - r0) * RS; k0 < cols; k0 += KC, d += chunk) dequantizeRow(w, r, r1, k0, Math.min(KC, cols - k0), a, d);
        for (int k0 = 0; k0 < cols; k0 += KC) {
            int len = Math.min(KC, cols - k0), aBase = stream ? (k0 / KC) * chunk : 0;
            if (!stream)
                for (int r = r0; r < s1 * MR; r++) dequantizeRow(w, r, r1, k0, len, a, (r - r0) * RS);
            for (int p = 0; p < pn.count; p++) {
                int t0 = pn.start(p), bOff = t0 * cols + k0 * pn.width(p);
                if (p < pn.wide) {   // 6 x 4 tiles: each strip as two halves of 6 rows
                    for (int s = s0; s < s1; s++) {
                        int cOff = (s - s0) * MR * ldc + t0, aOff = aBase + (s - s0) * MR * RS;
                        GemmKernel.rows6x4(c, cOff, ldc, false, a, aOff, RS, pb, bOff, len);
                        GemmKernel.rows6x4(c, cOff + 6 * ldc, ldc, false, a, aOff + 6 * RS, RS, pb, bOff, len);
                    }
                } else {
                    for (int s = s0; s < s1; s++) {
                        int cOff = (s - s0) * MR * ldc + t0, aOff = aBase + (s - s0) * MR * RS;
                        if (WIDE) GemmKernel.rows12x2Packed(c, cOff, ldc, a, aOff, pb, bOff, len);
                        else {   // 16 vector registers: two 6 x 2 tiles (12 accumulators each)
                            GemmKernel.rows6x2(c, cOff, ldc, false, a, aOff, RS, pb, bOff, len);
                            GemmKernel.rows6x2(c, cOff + 6 * ldc, ldc, false, a, aOff + 6 * RS, RS, pb, bOff, len);
                        }
                    }
                }
            }
        }
        if (tokenMajor) {
            for (int t = 0; t < n; t++)
                for (int r = r0, o = t, d = t * rows + r0; r < r1; r++, o += ldc, d++) out[d] = c[o];
        } else {
            for (int r = r0; r < r1; r++)
                for (int t = 0, o = (r - r0) * ldc; t < n; t++) out[t * rows + r] = c[o + t];
        }
    }

    /** {@link #multiply} one element at a time: the FMA chain over k, from zero, on the scalar dequantizeRow. */
    static void reference(WeightMatrix w, float[] x, int n, float[] out) {
        int rows = w.rows(), cols = w.cols();
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            w.dequantizeRow(r, row, 0);
            for (int t = 0; t < n; t++) {
                float acc = 0f;
                for (int k = 0; k < cols; k++) acc = Math.fma(row[k], x[t * cols + k], acc);
                out[t * rows + r] = acc;
            }
        }
    }

    /** Per-thread scratch arrays, grown on demand and reused: prefill allocates nothing per matmul. */
    private enum Scratch {
        X, A, C;
        private final ThreadLocal<float[]> buffer = ThreadLocal.withInitial(() -> new float[0]);

        float[] get(int size) {
            float[] f = buffer.get();
            if (f.length < size) { f = new float[size]; buffer.set(f); }
            return f;
        }
    }
}
