package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register tiles of the float32 matrix products: C tile (+)= A strip x B panel, where the
 * tile is MR rows (ldc apart) by NR vectors of C, A gives one broadcast value per row and j, and B
 * is a packed panel: len rows of NR * L floats, contiguous. Per j a tile loads NR vectors of B and
 * broadcasts MR values of A into MR * NR fused multiply-adds, with no horizontal sums; every
 * element of C is one FMA chain over j in order, so its bits depend neither on the tile nor on
 * the thread that runs it. {@link #reference} is that chain one element at a time.
 *
 * The shapes, each where it was tuned (AVX-512: 24 accumulators of 32 registers):
 * - 12 x 2 vectors ({@link Gemm}: training's products and its causal attention), C += A B, A in
 *   three layouts: transposed or column-packed, row-packed at the constant stride {@link #RS}, or rows in place.
 * - 6 x 2 vectors with A transposed in place ({@link Gemm} on AVX2: attention's dK and dV, C as narrow as a head).
 * - 6 x 4 and 6 x 2 vectors ({@link EncoderAttentionKernel}: scores, and probabilities times
 *   values), C = A B or C += A B (zero: start from zero without reading C), A rows in place.
 * {@link F32PanelMatrix} keeps the 6 x 4 tile's twins (and 4, 2, 1 rows) as its own instance
 * methods over its weight panels: the same code as a static tile here ran 5-12% slower on AVX2.
 */
final class GemmKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Rows of the 12 x 2 tile, and the widths (floats per j) of the panels the two- and four-vector tiles read. */
    static final int MR = 12, P2 = 2 * L, P4 = 4 * L;
    /**
     * Row stride of a row-packed A strip: Gemm's j tile plus 16 floats, so that the MR rows do not
     * share L1 sets. A constant, so every broadcast addresses the strip from one register.
     */
    static final int RS = Gemm.KC + 16;

    private GemmKernel() {}

    /**
     * C[MR rows from cOff, ldc apart][P2 columns] += A x B over len values of j, A[i, j] =
     * a[aOff + j aStep + i] (a column-packed strip, aStep = MR; or A stored transposed), B P2
     * floats per j from bOff.
     */
    static void rows12x2Transposed(float[] c, int cOff, int ldc, float[] a, int aOff, int aStep, float[] b, int bOff, int len) {
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
        for (int j = 0, ao = aOff, bo = bOff; j < len; j++, ao += aStep, bo += P2) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + 1 * L);
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

    /** The same as {@link #rows12x2Transposed}, A from a row-packed strip: A[i, j] = a[aOff + i RS + j]. */
    static void rows12x2Packed(float[] c, int cOff, int ldc, float[] a, int aOff, float[] b, int bOff, int len) {
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
        for (int j = 0, ao = aOff, bo = bOff; j < len; j++, ao++, bo += P2) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + 1 * L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ao]); s0 = x.fma(b0, s0); t0 = x.fma(b1, t0);
            x = FloatVector.broadcast(S, a[ao + 1 * RS]); s1 = x.fma(b0, s1); t1 = x.fma(b1, t1);
            x = FloatVector.broadcast(S, a[ao + 2 * RS]); s2 = x.fma(b0, s2); t2 = x.fma(b1, t2);
            x = FloatVector.broadcast(S, a[ao + 3 * RS]); s3 = x.fma(b0, s3); t3 = x.fma(b1, t3);
            x = FloatVector.broadcast(S, a[ao + 4 * RS]); s4 = x.fma(b0, s4); t4 = x.fma(b1, t4);
            x = FloatVector.broadcast(S, a[ao + 5 * RS]); s5 = x.fma(b0, s5); t5 = x.fma(b1, t5);
            x = FloatVector.broadcast(S, a[ao + 6 * RS]); s6 = x.fma(b0, s6); t6 = x.fma(b1, t6);
            x = FloatVector.broadcast(S, a[ao + 7 * RS]); s7 = x.fma(b0, s7); t7 = x.fma(b1, t7);
            x = FloatVector.broadcast(S, a[ao + 8 * RS]); s8 = x.fma(b0, s8); t8 = x.fma(b1, t8);
            x = FloatVector.broadcast(S, a[ao + 9 * RS]); s9 = x.fma(b0, s9); t9 = x.fma(b1, t9);
            x = FloatVector.broadcast(S, a[ao + 10 * RS]); s10 = x.fma(b0, s10); t10 = x.fma(b1, t10);
            x = FloatVector.broadcast(S, a[ao + 11 * RS]); s11 = x.fma(b0, s11); t11 = x.fma(b1, t11);
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

    /** The same as {@link #rows12x2Transposed}, A read in place from MR rows lda apart: A[i, j] = a[aOff + i lda + j]. */
    static void rows12x2(float[] c, int cOff, int ldc, float[] a, int aOff, int lda, float[] b, int bOff, int len) {
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
        for (int j = 0, bo = bOff; j < len; j++, bo += P2) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + 1 * L);
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

    /**
     * C[6 rows from cOff, ldc apart][P2 columns] += A x B over len values of j, A read in place
     * where it is stored transposed: A[i, j] = a[aOff + j aStep + i] (6 consecutive floats per j),
     * B P2 floats per j from bOff. 12 accumulators, for AVX2's 16 registers (attention's dK = dS^T Q
     * and dV = P^T dZ, whose transposed A is small and cache-resident).
     */
    static void rows6x2Transposed(float[] c, int cOff, int ldc, float[] a, int aOff, int aStep, float[] b, int bOff, int len) {
        int r = cOff;
        FloatVector c00 = FloatVector.fromArray(S, c, r), c01 = FloatVector.fromArray(S, c, r + L);
        r += ldc;
        FloatVector c10 = FloatVector.fromArray(S, c, r), c11 = FloatVector.fromArray(S, c, r + L);
        r += ldc;
        FloatVector c20 = FloatVector.fromArray(S, c, r), c21 = FloatVector.fromArray(S, c, r + L);
        r += ldc;
        FloatVector c30 = FloatVector.fromArray(S, c, r), c31 = FloatVector.fromArray(S, c, r + L);
        r += ldc;
        FloatVector c40 = FloatVector.fromArray(S, c, r), c41 = FloatVector.fromArray(S, c, r + L);
        r += ldc;
        FloatVector c50 = FloatVector.fromArray(S, c, r), c51 = FloatVector.fromArray(S, c, r + L);
        for (int j = 0, ao = aOff, w = bOff; j < len; j++, ao += aStep, w += P2) {
            FloatVector w0 = FloatVector.fromArray(S, b, w), w1 = FloatVector.fromArray(S, b, w + L);
            FloatVector x = FloatVector.broadcast(S, a[ao]); c00 = w0.fma(x, c00); c01 = w1.fma(x, c01);
            x = FloatVector.broadcast(S, a[ao + 1]); c10 = w0.fma(x, c10); c11 = w1.fma(x, c11);
            x = FloatVector.broadcast(S, a[ao + 2]); c20 = w0.fma(x, c20); c21 = w1.fma(x, c21);
            x = FloatVector.broadcast(S, a[ao + 3]); c30 = w0.fma(x, c30); c31 = w1.fma(x, c31);
            x = FloatVector.broadcast(S, a[ao + 4]); c40 = w0.fma(x, c40); c41 = w1.fma(x, c41);
            x = FloatVector.broadcast(S, a[ao + 5]); c50 = w0.fma(x, c50); c51 = w1.fma(x, c51);
        }
        r = cOff;
        c00.intoArray(c, r); c01.intoArray(c, r + L); r += ldc;
        c10.intoArray(c, r); c11.intoArray(c, r + L); r += ldc;
        c20.intoArray(c, r); c21.intoArray(c, r + L); r += ldc;
        c30.intoArray(c, r); c31.intoArray(c, r + L); r += ldc;
        c40.intoArray(c, r); c41.intoArray(c, r + L); r += ldc;
        c50.intoArray(c, r); c51.intoArray(c, r + L);
    }

    /** The running sums of L outputs: zero (the first k chunk of C = A B), else what C holds. */
    private static FloatVector acc(float[] c, int off, boolean zero) {
        return zero ? FloatVector.zero(S) : FloatVector.fromArray(S, c, off);
    }

    /**
     * C[6 rows from cOff, ldc apart][P4 columns] = (zero ? 0 : C) + A x B over len values of j,
     * A[i, j] = a[aOff + i lda + j], B P4 floats per j from bOff: 24 accumulators.
     */
    static void rows6x4(float[] c, int cOff, int ldc, boolean zero, float[] a, int aOff, int lda, float[] b, int bOff, int len) {
        int x0 = aOff, x1 = x0 + lda, x2 = x1 + lda, x3 = x2 + lda, x4 = x3 + lda, x5 = x4 + lda;
        int r = cOff;
        FloatVector c00 = acc(c, r, zero), c01 = acc(c, r + L, zero), c02 = acc(c, r + 2 * L, zero), c03 = acc(c, r + 3 * L, zero);
        r += ldc;
        FloatVector c10 = acc(c, r, zero), c11 = acc(c, r + L, zero), c12 = acc(c, r + 2 * L, zero), c13 = acc(c, r + 3 * L, zero);
        r += ldc;
        FloatVector c20 = acc(c, r, zero), c21 = acc(c, r + L, zero), c22 = acc(c, r + 2 * L, zero), c23 = acc(c, r + 3 * L, zero);
        r += ldc;
        FloatVector c30 = acc(c, r, zero), c31 = acc(c, r + L, zero), c32 = acc(c, r + 2 * L, zero), c33 = acc(c, r + 3 * L, zero);
        r += ldc;
        FloatVector c40 = acc(c, r, zero), c41 = acc(c, r + L, zero), c42 = acc(c, r + 2 * L, zero), c43 = acc(c, r + 3 * L, zero);
        r += ldc;
        FloatVector c50 = acc(c, r, zero), c51 = acc(c, r + L, zero), c52 = acc(c, r + 2 * L, zero), c53 = acc(c, r + 3 * L, zero);
        int w = bOff;
        for (int j = 0; j < len; j++, w += P4) {
            FloatVector w0 = FloatVector.fromArray(S, b, w), w1 = FloatVector.fromArray(S, b, w + L),
                    w2 = FloatVector.fromArray(S, b, w + 2 * L), w3 = FloatVector.fromArray(S, b, w + 3 * L);
            FloatVector x = FloatVector.broadcast(S, a[x0 + j]);
            c00 = w0.fma(x, c00); c01 = w1.fma(x, c01); c02 = w2.fma(x, c02); c03 = w3.fma(x, c03);
            x = FloatVector.broadcast(S, a[x1 + j]);
            c10 = w0.fma(x, c10); c11 = w1.fma(x, c11); c12 = w2.fma(x, c12); c13 = w3.fma(x, c13);
            x = FloatVector.broadcast(S, a[x2 + j]);
            c20 = w0.fma(x, c20); c21 = w1.fma(x, c21); c22 = w2.fma(x, c22); c23 = w3.fma(x, c23);
            x = FloatVector.broadcast(S, a[x3 + j]);
            c30 = w0.fma(x, c30); c31 = w1.fma(x, c31); c32 = w2.fma(x, c32); c33 = w3.fma(x, c33);
            x = FloatVector.broadcast(S, a[x4 + j]);
            c40 = w0.fma(x, c40); c41 = w1.fma(x, c41); c42 = w2.fma(x, c42); c43 = w3.fma(x, c43);
            x = FloatVector.broadcast(S, a[x5 + j]);
            c50 = w0.fma(x, c50); c51 = w1.fma(x, c51); c52 = w2.fma(x, c52); c53 = w3.fma(x, c53);
        }
        r = cOff;
        c00.intoArray(c, r); c01.intoArray(c, r + L); c02.intoArray(c, r + 2 * L); c03.intoArray(c, r + 3 * L); r += ldc;
        c10.intoArray(c, r); c11.intoArray(c, r + L); c12.intoArray(c, r + 2 * L); c13.intoArray(c, r + 3 * L); r += ldc;
        c20.intoArray(c, r); c21.intoArray(c, r + L); c22.intoArray(c, r + 2 * L); c23.intoArray(c, r + 3 * L); r += ldc;
        c30.intoArray(c, r); c31.intoArray(c, r + L); c32.intoArray(c, r + 2 * L); c33.intoArray(c, r + 3 * L); r += ldc;
        c40.intoArray(c, r); c41.intoArray(c, r + L); c42.intoArray(c, r + 2 * L); c43.intoArray(c, r + 3 * L); r += ldc;
        c50.intoArray(c, r); c51.intoArray(c, r + L); c52.intoArray(c, r + 2 * L); c53.intoArray(c, r + 3 * L);
    }

    /**
     * C[6 rows from cOff, ldc apart][P2 columns] = (zero ? 0 : C) + A x B over len values of j,
     * A[i, j] = a[aOff + i lda + j], B P2 floats per j from bOff: 12 accumulators (the encoder's
     * attention mixes values of one head, as wide as a P2 panel, over long rows of probabilities).
     */
    static void rows6x2(float[] c, int cOff, int ldc, boolean zero, float[] a, int aOff, int lda, float[] b, int bOff, int len) {
        int x0 = aOff, x1 = x0 + lda, x2 = x1 + lda, x3 = x2 + lda, x4 = x3 + lda, x5 = x4 + lda;
        int r = cOff;
        FloatVector c00 = acc(c, r, zero), c01 = acc(c, r + L, zero);
        r += ldc;
        FloatVector c10 = acc(c, r, zero), c11 = acc(c, r + L, zero);
        r += ldc;
        FloatVector c20 = acc(c, r, zero), c21 = acc(c, r + L, zero);
        r += ldc;
        FloatVector c30 = acc(c, r, zero), c31 = acc(c, r + L, zero);
        r += ldc;
        FloatVector c40 = acc(c, r, zero), c41 = acc(c, r + L, zero);
        r += ldc;
        FloatVector c50 = acc(c, r, zero), c51 = acc(c, r + L, zero);
        int w = bOff;
        for (int j = 0; j < len; j++, w += P2) {
            FloatVector w0 = FloatVector.fromArray(S, b, w), w1 = FloatVector.fromArray(S, b, w + L);
            FloatVector x = FloatVector.broadcast(S, a[x0 + j]); c00 = w0.fma(x, c00); c01 = w1.fma(x, c01);
            x = FloatVector.broadcast(S, a[x1 + j]); c10 = w0.fma(x, c10); c11 = w1.fma(x, c11);
            x = FloatVector.broadcast(S, a[x2 + j]); c20 = w0.fma(x, c20); c21 = w1.fma(x, c21);
            x = FloatVector.broadcast(S, a[x3 + j]); c30 = w0.fma(x, c30); c31 = w1.fma(x, c31);
            x = FloatVector.broadcast(S, a[x4 + j]); c40 = w0.fma(x, c40); c41 = w1.fma(x, c41);
            x = FloatVector.broadcast(S, a[x5 + j]); c50 = w0.fma(x, c50); c51 = w1.fma(x, c51);
        }
        r = cOff;
        c00.intoArray(c, r); c01.intoArray(c, r + L); r += ldc;
        c10.intoArray(c, r); c11.intoArray(c, r + L); r += ldc;
        c20.intoArray(c, r); c21.intoArray(c, r + L); r += ldc;
        c30.intoArray(c, r); c31.intoArray(c, r + L); r += ldc;
        c40.intoArray(c, r); c41.intoArray(c, r + L); r += ldc;
        c50.intoArray(c, r); c51.intoArray(c, r + L);
    }

    /**
     * {@link #rows6x2} on a B whose rows are ldb floats apart (two vectors of a wider panel). Kept as its
     * own copy: rows6x2 delegating here with ldb = P2 measured ~9% slower in 110M prefill (median of 7
     * alternating rounds), the constant stride being lost.
     */
    static void rows6x2Strided(float[] c, int cOff, int ldc, boolean zero, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, int len) {
        int x0 = aOff, x1 = x0 + lda, x2 = x1 + lda, x3 = x2 + lda, x4 = x3 + lda, x5 = x4 + lda;
        int r = cOff;
        FloatVector c00 = acc(c, r, zero), c01 = acc(c, r + L, zero);
        r += ldc;
        FloatVector c10 = acc(c, r, zero), c11 = acc(c, r + L, zero);
        r += ldc;
        FloatVector c20 = acc(c, r, zero), c21 = acc(c, r + L, zero);
        r += ldc;
        FloatVector c30 = acc(c, r, zero), c31 = acc(c, r + L, zero);
        r += ldc;
        FloatVector c40 = acc(c, r, zero), c41 = acc(c, r + L, zero);
        r += ldc;
        FloatVector c50 = acc(c, r, zero), c51 = acc(c, r + L, zero);
        int w = bOff;
        for (int j = 0; j < len; j++, w += ldb) {
            FloatVector w0 = FloatVector.fromArray(S, b, w), w1 = FloatVector.fromArray(S, b, w + L);
            FloatVector x = FloatVector.broadcast(S, a[x0 + j]); c00 = w0.fma(x, c00); c01 = w1.fma(x, c01);
            x = FloatVector.broadcast(S, a[x1 + j]); c10 = w0.fma(x, c10); c11 = w1.fma(x, c11);
            x = FloatVector.broadcast(S, a[x2 + j]); c20 = w0.fma(x, c20); c21 = w1.fma(x, c21);
            x = FloatVector.broadcast(S, a[x3 + j]); c30 = w0.fma(x, c30); c31 = w1.fma(x, c31);
            x = FloatVector.broadcast(S, a[x4 + j]); c40 = w0.fma(x, c40); c41 = w1.fma(x, c41);
            x = FloatVector.broadcast(S, a[x5 + j]); c50 = w0.fma(x, c50); c51 = w1.fma(x, c51);
        }
        r = cOff;
        c00.intoArray(c, r); c01.intoArray(c, r + L); r += ldc;
        c10.intoArray(c, r); c11.intoArray(c, r + L); r += ldc;
        c20.intoArray(c, r); c21.intoArray(c, r + L); r += ldc;
        c30.intoArray(c, r); c31.intoArray(c, r + L); r += ldc;
        c40.intoArray(c, r); c41.intoArray(c, r + L); r += ldc;
        c50.intoArray(c, r); c51.intoArray(c, r + L);
    }

    /**
     * Any tile one element at a time: C[rows from cOff, ldc apart][cols] = (zero ? 0 : C) + the FMA
     * chain over j < len of A[i, j] = a[aOff + i aRow + j aCol] times B[j, col] = b[bOff + j ldb + col].
     */
    static void reference(float[] c, int cOff, int ldc, boolean zero, float[] a, int aOff, int aRow, int aCol,
                          float[] b, int bOff, int ldb, int rows, int cols, int len) {
        for (int i = 0; i < rows; i++)
            for (int col = 0; col < cols; col++) {
                float acc = zero ? 0f : c[cOff + i * ldc + col];
                for (int j = 0; j < len; j++) acc = Math.fma(a[aOff + i * aRow + j * aCol], b[bOff + j * ldb + col], acc);
                c[cOff + i * ldc + col] = acc;
            }
    }
}
