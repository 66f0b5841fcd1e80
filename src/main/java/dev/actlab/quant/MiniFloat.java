package dev.actlab.quant;

/**
 * A small binary floating-point format: 1 sign bit, e exponent bits with the given bias, m mantissa
 * bits, subnormals below 2^(1 - bias). Normal numbers 2^k * 1.f for k >= 1 - bias are spaced
 * 2^(k - m); subnormals share the spacing 2^(1 - bias - m).
 *
 * <ul>
 * <li>E4M3 (OCP FP8, "e4m3fn"): bias 7, no infinities, S.1111.111 is NaN, so the largest value is
 *     1.75 * 2^8 = 448; smallest subnormal 2^-9.
 * <li>E5M2 (OCP FP8): bias 15, IEEE-like with infinities and NaNs; largest finite 1.75 * 2^15 = 57344;
 *     smallest subnormal 2^-16.
 * <li>E2M1 (OCP FP4, the element of MXFP4/NVFP4): bias 1, no infinities or NaN; the values are
 *     0, 0.5, 1, 1.5, 2, 3, 4, 6.
 * </ul>
 * Conversion is round-to-nearest-even and saturating: finite overflow and infinities become
 * ±max (the OCP saturation mode), NaN stays NaN in FP8 and is an error in FP4, which cannot encode it.
 */
public record MiniFloat(String name, int expBits, int manBits, int bias, float max, boolean hasNaN) implements ElementFormat {
    public static final MiniFloat E4M3 = new MiniFloat("e4m3", 4, 3, 7, 448f, true);
    public static final MiniFloat E5M2 = new MiniFloat("e5m2", 5, 2, 15, 57344f, true);
    public static final MiniFloat E2M1 = new MiniFloat("e2m1", 2, 1, 1, 6f, false);

    @Override public int bits() { return 1 + expBits + manBits; }

    /** Exponent of the smallest normal number (subnormals are spaced like this binade). */
    public int minExponent() { return 1 - bias; }

    @Override public float round(float v) {
        if (Float.isNaN(v)) {
            if (hasNaN) return v;
            throw new NonFiniteValueException(name + " has no NaN: cannot quantize NaN");
        }
        float a = Math.abs(v);
        if (a >= max) return Math.copySign(max, v);                   // saturate, infinities included
        int e = Math.max(Math.getExponent(a), minExponent());         // subnormals: the spacing of the first binade
        float step = Math.scalb(1f, e - manBits);
        float q = (float) (Math.rint(a / step) * step);                // a / step is exact: a power-of-two division
        return Math.copySign(Math.min(q, max), v);
    }
}
