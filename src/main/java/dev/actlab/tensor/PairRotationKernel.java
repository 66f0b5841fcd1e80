package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * RoPE's rotation of adjacent pairs (x[2i], x[2i+1]) by per-pair angles, in place:
 *   x[2i] = x[2i] c_i - x[2i+1] s_i,   x[2i+1] = x[2i] s_i + x[2i+1] c_i.
 * The vector form multiplies x by (c_0, c_0, c_1, c_1, ...) and x with each pair's lanes swapped
 * by (-s_0, s_0, -s_1, s_1, ...), then adds: a - b is a + (-b) in IEEE arithmetic and the odd lane's
 * sum only has its terms the other way round, so every lane gives {@link #rotateScalar}'s bits.
 */
public final class PairRotationKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Lane i takes lane i ^ 1: each pair swapped. A constant field, so C2 intrinsifies the rearrange. */
    private static final VectorShuffle<Float> SWAP_PAIRS = VectorShuffle.fromOp(S, i -> i ^ 1);

    private PairRotationKernel() {}

    /** Whether rows of width n run as whole vectors (otherwise {@link #rotate} runs the scalar loop). */
    public static boolean vectorWidth(int n) { return n % L == 0; }

    /**
     * Rotates x[off, off + n) (n even) with cosPairs = (c_0, c_0, c_1, c_1, ...) and
     * sinPairs = (-s_0, s_0, -s_1, s_1, ...), both read from tOff.
     */
    public static void rotate(float[] x, int off, int n, float[] cosPairs, float[] sinPairs, int tOff) {
        if (!vectorWidth(n)) { rotateScalar(x, off, n, cosPairs, sinPairs, tOff); return; }
        for (int i = 0; i < n; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, off + i);
            FloatVector c = FloatVector.fromArray(S, cosPairs, tOff + i), s = FloatVector.fromArray(S, sinPairs, tOff + i);
            v.mul(c).add(v.rearrange(SWAP_PAIRS).mul(s)).intoArray(x, off + i);
        }
    }

    /** {@link #rotate} one pair at a time, in the textbook form (c_i = cosPairs[2i], s_i = sinPairs[2i + 1]). */
    public static void rotateScalar(float[] x, int off, int n, float[] cosPairs, float[] sinPairs, int tOff) {
        for (int i = 0; i < n; i += 2) {
            float c = cosPairs[tOff + i], s = sinPairs[tOff + i + 1];
            float v0 = x[off + i], v1 = x[off + i + 1];
            x[off + i] = v0 * c - v1 * s;
            x[off + i + 1] = v0 * s + v1 * c;
        }
    }
}
