package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One fused Adam update of a slice: per element, m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g g,
 * p -= step (m / c1) / (sqrt(v / c2) + eps), and g = 0 for the next step's sums; four arrays read
 * and written once (the update is memory-bound: a dictionary's weights pass through once per step).
 * Separate multiplies and adds (no fused multiply-add) and IEEE square root and division in both
 * versions, so {@link #vector} gives lane for lane the bits of {@link #reference}.
 */
public final class AdamKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** The step's constants: betas, bias corrections c1 = 1 - b1^t and c2 = 1 - b2^t, learning rate and epsilon. */
    public record Step(float b1, float b2, float c1, float c2, float lr, float eps) {}

    private AdamKernel() {}

    /** Updates p, m, v on [from, to) from the gradient g, and zeroes g there; vectorized. */
    public static void vector(float[] p, float[] g, float[] m, float[] v, int from, int to, Step s) {
        float b1 = s.b1(), b2 = s.b2(), a1 = 1 - b1, a2 = 1 - b2, c1 = s.c1(), c2 = s.c2(), lr = s.lr(), eps = s.eps();
        FloatVector zero = FloatVector.zero(S);
        int i = from, upper = from + S.loopBound(to - from);
        for (; i < upper; i += S.length()) {
            FloatVector gi = FloatVector.fromArray(S, g, i);
            FloatVector mi = FloatVector.fromArray(S, m, i).mul(b1).add(gi.mul(a1));
            FloatVector vi = FloatVector.fromArray(S, v, i).mul(b2).add(gi.mul(a2).mul(gi));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            FloatVector delta = mi.div(c1).mul(lr).div(vi.div(c2).sqrt().add(eps));
            FloatVector.fromArray(S, p, i).sub(delta).intoArray(p, i);
            zero.intoArray(g, i);
        }
        reference(p, g, m, v, i, to, s);
    }

    /** The same update one element at a time. */
    public static void reference(float[] p, float[] g, float[] m, float[] v, int from, int to, Step s) {
        float b1 = s.b1(), b2 = s.b2(), c1 = s.c1(), c2 = s.c2(), lr = s.lr(), eps = s.eps();
        for (int i = from; i < to; i++) {
            float gi = g[i];
            m[i] = b1 * m[i] + (1 - b1) * gi;
            v[i] = b2 * v[i] + (1 - b2) * gi * gi;
            p[i] -= lr * (m[i] / c1) / ((float) Math.sqrt(v[i] / c2) + eps);
            g[i] = 0;
        }
    }
}
