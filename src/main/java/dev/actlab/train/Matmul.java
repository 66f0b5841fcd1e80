package dev.actlab.train;

import dev.actlab.tensor.Parallel;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * y = x W^T with W [out, in] row-major (the layout of dev.actlab.tensor.F32Matrix).
 * All three products (forward, dx, dW) are one kernel, C [M, K] += A [M, J] B [J, K], after
 * transposing W (forward) or dy (dW). The kernel keeps a 4-row x two-vector block of C in
 * registers while it walks J, so it needs no horizontal sums. Every element of C is
 * C + sum_j A[m, j] B[j, k] with fused multiply-adds in j order, whatever the blocking, and
 * each row of C belongs to one thread: results are bit-identical across thread counts.
 */
public final class Matmul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Matmul() {}

    /** y [N, out] = x [N, in] W^T, W [out, in]. */
    public static void forward(float[] y, float[] x, float[] w, int n, int in, int out, Parallel par) {
        Arrays.fill(y, 0, n * out, 0f);
        gemm(y, x, transpose(w, out, in, par), n, in, out, par);
    }

    /** dx [N, in] += dy [N, out] W (skipped when dx is null); dw [out, in] += dy^T x. */
    public static void backward(float[] dx, float[] dw, float[] dy, float[] x, float[] w, int n, int in, int out, Parallel par) {
        if (dx != null) gemm(dx, dy, w, n, out, in, par);
        gemm(dw, transpose(dy, n, out, par), x, out, n, in, par);
    }

    /** a [rows, cols] -> [cols, rows]. */
    static float[] transpose(float[] a, int rows, int cols, Parallel par) {
        float[] t = new float[rows * cols];
        par.forRange((cols + TT - 1) / TT, 1, (from, to) -> transposeTiles(a, t, rows, cols, from * TT, Math.min(cols, to * TT)));
        return t;
    }

    /** a [n, n] -> out [n, n] transposed, on the calling thread. */
    static void transposeSquare(float[] a, float[] out, int n) { transposeTiles(a, out, n, n, 0, n); }

    /** Columns [c0, c1) of a [rows, cols] into rows of t [cols, rows], in TT x TT tiles that fit L1. */
    private static void transposeTiles(float[] a, float[] t, int rows, int cols, int c0, int c1) {
        for (int r0 = 0; r0 < rows; r0 += TT) {
            int r1 = Math.min(rows, r0 + TT);
            for (int cb = c0; cb < c1; cb += TT) {
                int cEnd = Math.min(c1, cb + TT);
                for (int c = cb; c < cEnd; c++)
                    for (int r = r0; r < r1; r++) t[c * rows + r] = a[r * cols + c];
            }
        }
    }

    private static final int TT = 32;

    /**
     * C [M, K] += A [M, J] B [J, K], all row-major; split over rows of C. The loops are tiled
     * for the caches: a panel of K_TILE columns, within it J in tiles of J_TILE whose part of B
     * is packed contiguous (L2), then the thread's rows in chunks of M_TILE, each 4-row register
     * block walking a strip of J_TILE x two vectors (L1). C is reloaded between tiles, which
     * does not change its values: every element still sums j in order.
     */
    static void gemm(float[] c, float[] a, float[] b, int m, int jn, int k, Parallel par) {
        par.forRange(m, 4, (from, to) -> gemmRows(c, a, b, from, to, jn, k, packBuffer()));
    }

    /** The same product on the calling thread, for callers that split the work themselves. */
    static void gemmSerial(float[] c, float[] a, float[] b, int m, int jn, int k, float[] packBuffer) {
        gemmRows(c, a, b, 0, m, jn, k, packBuffer);
    }

    /** Scratch space for one thread's gemm calls. */
    static float[] packBuffer() { return new float[J_TILE * K_TILE]; }

    /** Rows [from, to) of C += A B. */
    private static void gemmRows(float[] c, float[] a, float[] b, int from, int to, int jn, int k, float[] packed) {
        int L = S.length(), kVec = S.loopBound(k);
        for (int k0 = 0; k0 < k; k0 += K_TILE) {
            int k1 = Math.min(k, k0 + K_TILE), k1Vec = Math.min(kVec, k1);
            for (int j0 = 0; j0 < jn; j0 += J_TILE) {
                int j1 = Math.min(jn, j0 + J_TILE);
                // B's strips copied contiguous: rows of B are k floats apart, and a power-of-two
                // stride would map a whole strip onto a few L1 sets
                int blocks = (k1Vec - k0) / (2 * L), strip = (j1 - j0) * 2 * L;
                for (int j = j0; j < j1; j++)
                    for (int blk = 0; blk < blocks; blk++)
                        System.arraycopy(b, j * k + k0 + blk * 2 * L, packed, blk * strip + (j - j0) * 2 * L, 2 * L);
                for (int m0 = from; m0 < to; m0 += M_TILE) {
                    int m1 = Math.min(to, m0 + M_TILE);
                    int col = k0;
                    for (int blk = 0; blk < blocks; blk++, col += 2 * L) {
                        int r = m0;
                        for (; r + 4 <= m1; r += 4) block4x2(c, a, packed, blk * strip, r, col, j0, j1, jn, k);
                        for (; r < m1; r++) { block1(c, a, b, r, col, j0, j1, jn, k); block1(c, a, b, r, col + L, j0, j1, jn, k); }
                    }
                    for (; col + L <= k1Vec; col += L)
                        for (int r = m0; r < m1; r++) block1(c, a, b, r, col, j0, j1, jn, k);
                    for (int r = m0; r < m1; r++)            // columns past the last full vector
                        for (int cc = Math.max(col, k0); cc < k1; cc++) {
                            float s = c[r * k + cc];
                            for (int j = j0; j < j1; j++) s = Math.fma(a[r * jn + j], b[j * k + cc], s);
                            c[r * k + cc] = s;
                        }
                }
            }
        }
    }

    private static final int K_TILE = 512, M_TILE = 64;
    private static final int J_TILE = 128;

    /**
     * Rows r..r+3, columns col..col+2L of C: eight accumulators in registers over j in [j0, j1).
     * p holds B[j0..j1, col..col+2L] contiguous from pOff, 2L floats per j.
     */
    private static void block4x2(float[] c, float[] a, float[] p, int pOff, int r, int col, int j0, int j1, int jn, int k) {
        int L = S.length();
        int c0 = r * k + col, c1 = c0 + k, c2 = c1 + k, c3 = c2 + k;
        int a0 = r * jn, a1 = a0 + jn, a2 = a1 + jn, a3 = a2 + jn;
        FloatVector s0 = FloatVector.fromArray(S, c, c0), t0 = FloatVector.fromArray(S, c, c0 + L);
        FloatVector s1 = FloatVector.fromArray(S, c, c1), t1 = FloatVector.fromArray(S, c, c1 + L);
        FloatVector s2 = FloatVector.fromArray(S, c, c2), t2 = FloatVector.fromArray(S, c, c2 + L);
        FloatVector s3 = FloatVector.fromArray(S, c, c3), t3 = FloatVector.fromArray(S, c, c3 + L);
        for (int j = j0, pj = pOff; j < j1; j++, pj += 2 * L) {
            FloatVector bv = FloatVector.fromArray(S, p, pj), bw = FloatVector.fromArray(S, p, pj + L);
            FloatVector x0 = FloatVector.broadcast(S, a[a0 + j]), x1 = FloatVector.broadcast(S, a[a1 + j]);
            FloatVector x2 = FloatVector.broadcast(S, a[a2 + j]), x3 = FloatVector.broadcast(S, a[a3 + j]);
            s0 = x0.fma(bv, s0); t0 = x0.fma(bw, t0);
            s1 = x1.fma(bv, s1); t1 = x1.fma(bw, t1);
            s2 = x2.fma(bv, s2); t2 = x2.fma(bw, t2);
            s3 = x3.fma(bv, s3); t3 = x3.fma(bw, t3);
        }
        s0.intoArray(c, c0); t0.intoArray(c, c0 + L);
        s1.intoArray(c, c1); t1.intoArray(c, c1 + L);
        s2.intoArray(c, c2); t2.intoArray(c, c2 + L);
        s3.intoArray(c, c3); t3.intoArray(c, c3 + L);
    }

    /** Row r, columns col..col+L of C over j in [j0, j1): the same arithmetic as one lane of block4x2. */
    private static void block1(float[] c, float[] a, float[] b, int r, int col, int j0, int j1, int jn, int k) {
        int c0 = r * k + col, a0 = r * jn;
        FloatVector s0 = FloatVector.fromArray(S, c, c0);
        for (int j = j0; j < j1; j++) s0 = FloatVector.broadcast(S, a[a0 + j]).fma(FloatVector.fromArray(S, b, j * k + col), s0);
        s0.intoArray(c, c0);
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
