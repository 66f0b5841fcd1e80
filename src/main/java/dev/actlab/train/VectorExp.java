package dev.actlab.train;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * e^x in float32 from additions, multiplications and FMAs only, as a vector and as a scalar twin
 * that gives the same bits lane for lane (the interpreter and the JIT agree too, since no lane
 * operation is approximated). x = n ln2 + r with |r| <= ln2 / 2, e^r by its Taylor polynomial to
 * r^7 (relative error below 2e-7), 2^n assembled in the exponent bits. x is clamped to
 * [-87, 88] so 2^n stays a normal float: e^-87 ~ 1.6e-38 stands in for anything smaller,
 * which softmax and sigmoid cannot tell from 0.
 */
final class VectorExp {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float LOG2E = 1.44269504f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUNDER = 12582912f;   // 1.5 * 2^23: adding it rounds to an integer in the low mantissa bits
    private static final float MIN = -87f, MAX = 88f;
    private static final float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720, C7 = 1f / 5040;

    private VectorExp() {}

    static FloatVector exp(FloatVector x) {
        x = x.max(MIN).min(MAX);
        FloatVector t = x.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUNDER));
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(S, C7), FloatVector.broadcast(S, C6));
        p = p.fma(r, FloatVector.broadcast(S, C5));
        p = p.fma(r, FloatVector.broadcast(S, C4));
        p = p.fma(r, FloatVector.broadcast(S, C3));
        p = p.fma(r, FloatVector.broadcast(S, C2));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        IntVector bits = t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUNDER) - 127).lanewise(jdk.incubator.vector.VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    /** The scalar twin of {@link #exp(FloatVector)}: the same operations in the same order. */
    static float exp(float x) {
        x = Math.min(Math.max(x, MIN), MAX);
        float t = Math.fma(x, LOG2E, ROUNDER);
        float n = t - ROUNDER;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, C7, C6);
        p = Math.fma(p, r, C5);
        p = Math.fma(p, r, C4);
        p = Math.fma(p, r, C3);
        p = Math.fma(p, r, C2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        int bits = (Float.floatToRawIntBits(t) - (Float.floatToRawIntBits(ROUNDER) - 127)) << 23;
        return p * Float.intBitsToFloat(bits);
    }

    /** max of x[off, off + len). */
    static float max(float[] x, int off, int len) {
        int i = 0, upper = S.loopBound(len);
        float m = Float.NEGATIVE_INFINITY;
        if (upper > 0) {
            FloatVector acc = FloatVector.fromArray(S, x, off);
            for (i = S.length(); i < upper; i += S.length()) acc = acc.max(FloatVector.fromArray(S, x, off + i));
            m = acc.reduceLanes(jdk.incubator.vector.VectorOperators.MAX);   // max is exact in any order
        }
        for (; i < len; i++) m = Math.max(m, x[off + i]);
        return m;
    }

    /** out[off + i] = e^(x[off + i] - shift); returns their sum (vector lanes in a fixed order, then the tail). */
    static float expShifted(float[] x, float[] out, int off, int len, float shift) {
        int i = 0, upper = S.loopBound(len);
        FloatVector acc = FloatVector.zero(S);
        for (; i < upper; i += S.length()) {
            FloatVector e = exp(FloatVector.fromArray(S, x, off + i).sub(shift));
            e.intoArray(out, off + i);
            acc = acc.add(e);
        }
        float sum = Matmul.laneSum(acc);
        for (; i < len; i++) { float e = exp(x[off + i] - shift); out[off + i] = e; sum += e; }
        return sum;
    }

    /** x[off + i] *= a. */
    static void scale(float[] x, int off, int len, float a) {
        int i = 0, upper = S.loopBound(len);
        for (; i < upper; i += S.length()) FloatVector.fromArray(S, x, off + i).mul(a).intoArray(x, off + i);
        for (; i < len; i++) x[off + i] *= a;
    }
}
