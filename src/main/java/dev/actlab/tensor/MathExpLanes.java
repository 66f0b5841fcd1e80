package dev.actlab.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code (float) Math.exp(x)} for float x, on vector lanes, with the same bits as that scalar expression
 * (its reference, {@link #expScalar}), which the decoder's softmax and SiLU use and whose bits the prefill must keep.
 *
 * <p>Why the bits agree: each lane computes y ~ e^x in double (x = n ln2 + r, |r| <= ln2 / 2, Taylor to r^12:
 * relative error below 2^-50) and rounds y to float. Math.exp is within 1 ulp of e^x (its contract), so the two
 * doubles round to the same float unless a float rounding boundary (a midpoint between two floats) lies within
 * a few double ulps of y. A lane whose y is within {@link #GUARD} double ulps of a midpoint (about 1 in 65,000),
 * or whose x is outside [-87, 88] (float results that are subnormal or infinite) or NaN, sends its whole vector
 * to the scalar expression. So the result is (float) Math.exp(x) for every x, not just for most.
 *
 * <p>Lanes: as many doubles as the preferred vector holds (4 with AVX2), the floats in a vector of half that width.
 */
public final class MathExpLanes {
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    static final int L = D.length();
    private static final double LOG2E = 1.4426950408889634, ROUNDER = 0x1.8p52;   // adding ROUNDER leaves round(v) in the low bits
    private static final double LN2_HI = 0x1.62e42fefa39efp-1, LN2_LO = 0x1.abc9e3b39803fp-56;
    private static final long ROUNDER_BITS = Double.doubleToRawLongBits(ROUNDER);
    /** Double ulps around a float midpoint within which a lane goes scalar: far above the ~8 ulps the two errors can add up to. */
    static final long GUARD = 1 << 12;
    private static final long LOW = (1L << 29) - 1, MID = 1L << 28;   // the 29 double mantissa bits a float drops; their midpoint
    private static final float MIN = -87f, MAX = 88f;
    // 1 / k! for k = 2..12 (k = 0 and 1 are the 1 + r of taylor)
    private static final double C2 = 1.0 / 2, C3 = 1.0 / 6, C4 = 1.0 / 24, C5 = 1.0 / 120, C6 = 1.0 / 720, C7 = 1.0 / 5040,
            C8 = 1.0 / 40320, C9 = 1.0 / 362880, C10 = 1.0 / 3628800, C11 = 1.0 / 39916800, C12 = 1.0 / 479001600;

    private MathExpLanes() {}

    /** The reference: what the decoder computes per element. */
    public static float expScalar(float x) { return (float) Math.exp(x); }

    /** a[off + j] = (float) Math.exp(a[off + j] - shift) for j < len (softmax's numerators). */
    public static void expShifted(float[] a, int off, int len, float shift) { exp(a, off, len, 1f, shift, a, off); }

    /** gate[i] = silu(gate[i]) * up[i] = gate / (1 + exp(-gate)) * up for i in [from, to), the decoder's expression lane for lane. */
    public static void siluTimes(float[] gate, float[] up, int from, int to) {
        float[] e = new float[Math.min(BLOCK, Math.max(0, to - from))];
        for (int b = from; b < to; b += BLOCK) {
            int len = Math.min(BLOCK, to - b), j = 0;
            exp(gate, b, len, -1f, 0f, e, 0);   // e = exp(-g - 0) = exp(-g)
            for (; j + FL <= len; j += FL) {
                FloatVector g = FloatVector.fromArray(FP, gate, b + j);
                g.div(FloatVector.fromArray(FP, e, j).add(1f)).mul(FloatVector.fromArray(FP, up, b + j)).intoArray(gate, b + j);
            }
            for (; j < len; j++) gate[b + j] = gate[b + j] / (1f + e[j]) * up[b + j];
        }
    }

    private static final int BLOCK = 512;
    private static final VectorSpecies<Float> FP = FloatVector.SPECIES_PREFERRED;
    private static final int FL = FP.length();

    /** {@link #siluTimes}' reference, one element at a time. */
    public static void siluTimesScalar(float[] gate, float[] up, int from, int to) {
        for (int i = from; i < to; i++) {
            float g = gate[i];
            gate[i] = g / (1f + expScalar(-g)) * up[i];
        }
    }

    /** dst[dOff + j] = (float) Math.exp(sign src[off + j] - shift) for j < len, sign 1 or -1 (exact); dst may be src. */
    static void exp(float[] src, int off, int len, float sign, float shift, float[] dst, int dOff) {
        int j = 0;
        for (; j + L <= len; j += L)
            if (!lanes(src, off + j, sign, shift, dst, dOff + j))
                for (int i = j; i < j + L; i++) dst[dOff + i] = expScalar(src[off + i] * sign - shift);
        for (; j < len; j++) dst[dOff + j] = expScalar(src[off + j] * sign - shift);
    }

    /**
     * One vector of {@link #exp}: writes its L results and returns true, or writes nothing and returns false when a lane
     * is outside [-87, 88] (subnormal or infinite floats), NaN, or within GUARD double ulps of a float rounding boundary.
     * Arrays in, a boolean out: no vector crosses the call, so none is boxed if C2 does not inline it.
     */
    static boolean lanes(float[] src, int o, float sign, float shift, float[] dst, int d) {
        FloatVector xf = FloatVector.fromArray(F, src, o).mul(sign).sub(shift);
        if (!xf.compare(VectorOperators.GE, MIN).and(xf.compare(VectorOperators.LE, MAX)).allTrue()) return false;
        DoubleVector x = (DoubleVector) xf.convertShape(VectorOperators.F2D, D, 0);
        DoubleVector t = x.fma(LOG2E, ROUNDER);
        DoubleVector n = t.sub(ROUNDER);
        DoubleVector r = n.fma(DoubleVector.broadcast(D, -LN2_HI), x);
        r = n.fma(DoubleVector.broadcast(D, -LN2_LO), r);
        DoubleVector p = taylor(r);
        // 2^n: n sits in t's low bits (t = ROUNDER + n exactly); moved into the exponent field
        LongVector twoN = t.reinterpretAsLongs().sub(ROUNDER_BITS - 1023).lanewise(VectorOperators.LSHL, 52);
        DoubleVector y = p.mul(twoN.reinterpretAsDoubles());
        LongVector low = y.reinterpretAsLongs().and(LOW);
        if (low.compare(VectorOperators.GE, MID - GUARD).and(low.compare(VectorOperators.LE, MID + GUARD)).anyTrue()) return false;
        ((FloatVector) y.convertShape(VectorOperators.D2F, F, 0)).intoArray(dst, d);
        return true;
    }

    /** e^r = sum r^k / k! for k <= 12, Estrin's scheme (a chain of 4 FMAs instead of Horner's 12); small enough for C2 to inline. */
    private static DoubleVector taylor(DoubleVector r) {
        DoubleVector r2 = r.mul(r), r4 = r2.mul(r2), r8 = r4.mul(r4);
        DoubleVector a0 = r.add(1.0), a1 = r.fma(C3, C2), a2 = r.fma(C5, C4), a3 = r.fma(C7, C6), a4 = r.fma(C9, C8), a5 = r.fma(C11, C10);
        DoubleVector b0 = a1.fma(r2, a0), b1 = a3.fma(r2, a2), b2 = a5.fma(r2, a4);
        DoubleVector c0 = b1.fma(r4, b0), c1 = r4.mul(C12).add(b2);
        return c1.fma(r8, c0);
    }
}
