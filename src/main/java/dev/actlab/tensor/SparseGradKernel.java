package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One active entry (row r, latent i) of a sparse autoencoder's backward pass, on rows of length n:
 * d = g . w (dL/df from the reconstruction gradient g and the latent's decoder row w), then
 * gW += f g (the decoder row's gradient) and, with dp = d + extra, gE += dp x (the encoder row's
 * gradient from the centred input x); returns dp. g is read once for both uses, and the dot runs in
 * four FMA chains (lanes of vectors 4q, 4q+1, 4q+2, 4q+3) so it is not bound by one chain's latency.
 * {@link #reference} computes the same chains one lane at a time and adds them in the same order,
 * so the two give the same bits.
 */
public final class SparseGradKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private SparseGradKernel() {}

    /** dp = g . w + extra; gW += f g; gE += dp x (each over n floats from its offset); returns dp. Vectorized. */
    public static float vector(float[] g, int gOff, float[] w, int wOff, float f, float[] gW, int gWOff, float extra, float[] x, int xOff, float[] gE, int gEOff, int n) {
        int upper4 = n / (4 * L) * (4 * L), upper = n / L * L, j = 0;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (; j < upper4; j += 4 * L) {
            FloatVector g0 = FloatVector.fromArray(S, g, gOff + j), g1 = FloatVector.fromArray(S, g, gOff + j + L);
            FloatVector g2 = FloatVector.fromArray(S, g, gOff + j + 2 * L), g3 = FloatVector.fromArray(S, g, gOff + j + 3 * L);
            a0 = g0.fma(FloatVector.fromArray(S, w, wOff + j), a0);
            a1 = g1.fma(FloatVector.fromArray(S, w, wOff + j + L), a1);
            a2 = g2.fma(FloatVector.fromArray(S, w, wOff + j + 2 * L), a2);
            a3 = g3.fma(FloatVector.fromArray(S, w, wOff + j + 3 * L), a3);
            g0.mul(f).add(FloatVector.fromArray(S, gW, gWOff + j)).intoArray(gW, gWOff + j);
            g1.mul(f).add(FloatVector.fromArray(S, gW, gWOff + j + L)).intoArray(gW, gWOff + j + L);
            g2.mul(f).add(FloatVector.fromArray(S, gW, gWOff + j + 2 * L)).intoArray(gW, gWOff + j + 2 * L);
            g3.mul(f).add(FloatVector.fromArray(S, gW, gWOff + j + 3 * L)).intoArray(gW, gWOff + j + 3 * L);
        }
        for (; j < upper; j += L) {
            FloatVector g0 = FloatVector.fromArray(S, g, gOff + j);
            a0 = g0.fma(FloatVector.fromArray(S, w, wOff + j), a0);
            g0.mul(f).add(FloatVector.fromArray(S, gW, gWOff + j)).intoArray(gW, gWOff + j);
        }
        float d = Lanes.sum(a0.add(a1).add(a2.add(a3)));
        for (; j < n; j++) { d += g[gOff + j] * w[wOff + j]; gW[gWOff + j] += f * g[gOff + j]; }
        float dp = d + extra;
        Axpy.vector(dp, x, xOff, gE, gEOff, n);
        return dp;
    }

    /** The same chains one lane at a time: lane l of chain c takes the vectors 4q + c (the vectors after the last whole group of four go to chain 0). */
    public static float reference(float[] g, int gOff, float[] w, int wOff, float f, float[] gW, int gWOff, float extra, float[] x, int xOff, float[] gE, int gEOff, int n) {
        int vectors = n / L, groups = vectors / 4;
        float[][] chain = new float[4][L];
        for (int v = 0; v < vectors; v++) {
            float[] acc = chain[v < 4 * groups ? v % 4 : 0];
            for (int l = 0; l < L; l++) { int j = v * L + l; acc[l] = Math.fma(g[gOff + j], w[wOff + j], acc[l]); }
        }
        float[] lanes = new float[L];
        for (int l = 0; l < L; l++) lanes[l] = (chain[0][l] + chain[1][l]) + (chain[2][l] + chain[3][l]);
        for (int half = L / 2; half >= 1; half /= 2) for (int l = 0; l < half; l++) lanes[l] += lanes[l + half];   // Lanes.sum's order
        float d = lanes[0];
        for (int j = vectors * L; j < n; j++) d += g[gOff + j] * w[wOff + j];
        for (int j = 0; j < n; j++) gW[gWOff + j] += f * g[gOff + j];
        float dp = d + extra;
        Axpy.scalar(dp, x, xOff, gE, gEOff, n);
        return dp;
    }
}
