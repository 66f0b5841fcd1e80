package dev.actlab.tensor;

/**
 * A number format for fake quantization: symmetric integers with qmax = 2^(bits-1) - 1, or
 * FP8 E4M3 (1 sign, 4 exponent bits with bias 7, 3 mantissa bits, no infinities; largest 448).
 * INT16 exists for the check that QAT at 16 bits matches full-precision training.
 */
public enum QuantFormat {
    INT4(7), INT8(127), INT16(32767), FP8_E4M3(448);

    /** The largest magnitude the format represents; a group's absmax is scaled onto it. */
    public final float qmax;

    QuantFormat(float qmax) { this.qmax = qmax; }

    /** v (already divided by the group scale, so |v| <= qmax up to rounding) to the nearest value of the format. */
    public float round(float v) {
        if (this != FP8_E4M3) return Math.max(-qmax, Math.min(qmax, (float) Math.rint(v)));
        return roundE4m3(v);
    }

    /**
     * Nearest E4M3 value, ties to even mantissa. Normal numbers 2^e * 1.mmm for e in [-6, 8] are
     * spaced 2^(e-3); below 2^-6 the subnormals are spaced 2^-9. Beyond 448 clamps (the format's
     * saturating conversion; with absmax scaling only rounding noise can get there).
     */
    public static float roundE4m3(float v) {
        float a = Math.abs(v);
        if (a >= 448f) return Math.copySign(448f, v);
        int e = Math.max(Math.getExponent(a), -6);                  // subnormals share the spacing of 2^-6
        float step = Math.scalb(1f, e - 3);
        float q = (float) Math.rint(a / step) * step;                // a / step, a power-of-two division: exact
        return Math.copySign(Math.min(q, 448f), v);
    }

    /** "int4", "int8", "int16", "fp8" to a format. */
    public static QuantFormat parse(String s) {
        return switch (s) {
            case "int4", "4" -> INT4;
            case "int8", "8" -> INT8;
            case "int16", "16" -> INT16;
            case "fp8", "e4m3" -> FP8_E4M3;
            default -> throw new IllegalArgumentException("quantization format must be int4, int8, int16 or fp8, got " + s);
        };
    }
}
