package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One AdamW step over a range of elements (train/AdamW holds the state and the schedule):
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  w -= lr (m / c1 / (sqrt(v / c2) + eps) + wd w),
 * c1, c2 the bias corrections. Each lane does the scalar float operations of {@link #updateScalar}
 * in the same order (IEEE multiply, add, divide and square root round the same way in a lane as in a
 * scalar; the float square root of a float equals Java's double Math.sqrt rounded to float), so the
 * bits do not depend on the vector width.
 */
public final class AdamWKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private AdamWKernel() {}

    /** The update of w, m, v [from, to) from g; c1 = 1 - b1^t, c2 = 1 - b2^t. */
    public static void update(float[] w, float[] g, float[] m, float[] v, int from, int to,
                              float b1, float b2, float c1, float c2, float eps, float lr, float wd) {
        float a1 = 1 - b1, a2 = 1 - b2;
        int i = from;
        for (; i + L <= to; i += L) {
            FloatVector gi = FloatVector.fromArray(S, g, i), wi = FloatVector.fromArray(S, w, i);
            FloatVector mi = FloatVector.fromArray(S, m, i).mul(b1).add(gi.mul(a1));
            FloatVector vi = FloatVector.fromArray(S, v, i).mul(b2).add(gi.mul(a2).mul(gi));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            FloatVector step = mi.div(c1).div(vi.div(c2).sqrt().add(eps)).add(wi.mul(wd));
            wi.sub(step.mul(lr)).intoArray(w, i);
        }
        updateScalar(w, g, m, v, i, to, b1, b2, c1, c2, eps, lr, wd);
    }

    /** {@link #update} one element at a time: the textbook formula in float. */
    public static void updateScalar(float[] w, float[] g, float[] m, float[] v, int from, int to,
                                    float b1, float b2, float c1, float c2, float eps, float lr, float wd) {
        for (int i = from; i < to; i++) {
            float gi = g[i];
            m[i] = b1 * m[i] + (1 - b1) * gi;
            v[i] = b2 * v[i] + (1 - b2) * gi * gi;
            w[i] -= lr * (m[i] / c1 / ((float) Math.sqrt(v[i] / c2) + eps) + wd * w[i]);
        }
    }
}
