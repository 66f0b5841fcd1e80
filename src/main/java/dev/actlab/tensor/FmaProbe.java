package dev.actlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The inner loop of the machine's FMA-peak measurement: 12 independent chains of vector FMAs,
 * enough to hide the FMA latency, nothing else in the loop. {@link #reference} computes the same
 * chains one lane at a time.
 */
public final class FmaProbe {
    private static final VectorSpecies<Float> S = VectorExp.S;
    private static final float M = 0.999999f, A = 1e-7f;
    /** Floating-point operations of one iteration: 12 chains x lanes x 2 (a multiply and an add). */
    public static final long FLOPS_PER_ITERATION = 12L * S.length() * 2;

    private FmaProbe() {}

    /** iters iterations of x = x M + A on 12 vectors from 1; returns their sum's first lane (so the JIT keeps the work). */
    public static float run(int iters) {
        FloatVector m = FloatVector.broadcast(S, M), a = FloatVector.broadcast(S, A);
        FloatVector x0 = FloatVector.broadcast(S, 1f), x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0,
                x6 = x0, x7 = x0, x8 = x0, x9 = x0, x10 = x0, x11 = x0;
        for (int i = 0; i < iters; i++) {
            x0 = x0.fma(m, a); x1 = x1.fma(m, a); x2 = x2.fma(m, a); x3 = x3.fma(m, a);
            x4 = x4.fma(m, a); x5 = x5.fma(m, a); x6 = x6.fma(m, a); x7 = x7.fma(m, a);
            x8 = x8.fma(m, a); x9 = x9.fma(m, a); x10 = x10.fma(m, a); x11 = x11.fma(m, a);
        }
        return x0.add(x1).add(x2).add(x3).add(x4).add(x5).add(x6).add(x7).add(x8).add(x9).add(x10).add(x11).lane(0);
    }

    /** {@link #run} one lane at a time. */
    public static float reference(int iters) {
        float[] x = new float[12];
        java.util.Arrays.fill(x, 1f);
        for (int i = 0; i < iters; i++) for (int c = 0; c < 12; c++) x[c] = Math.fma(x[c], M, A);
        float s = x[0];
        for (int c = 1; c < 12; c++) s += x[c];
        return s;
    }
}
