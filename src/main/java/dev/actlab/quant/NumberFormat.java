package dev.actlab.quant;

import java.util.List;

/**
 * A number format for fake quantization (quantize, then dequantize back to float): an element grid
 * and the rule that fits a group of values onto it.
 *
 * <ul>
 * <li>{@link Scaling#ABSMAX}: symmetric, scale = clip * max|x| / grid max (int8, int4, fp8 e4m3 and
 *     e5m2, fp4 e2m1, nf4); zero stays exactly zero.
 * <li>{@link Scaling#ASYMMETRIC}: unsigned integers with a zero point over [min(x, 0), max(x, 0)]
 *     (times clip): scale = (hi - lo) / (2^b - 1), zero = rint(-lo / scale); zero stays exactly zero.
 * <li>{@link Scaling#SHARED_EXPONENT}: OCP Microscaling (MX v1.0): blocks of 32 elements share a
 *     power-of-two scale stored as E8M0, 2^(floor(log2(max|x|)) - emax), emax the exponent of the
 *     element format's largest value (2 for E2M1), the exponent clamped to [-127, 127]; elements
 *     rounded to nearest even and clamped to the element's range. A block holding NaN or an infinity
 *     gets the NaN scale: every element of it is NaN.
 * </ul>
 * Non-finite values in a scaled group: the scale is fitted to the finite values; an infinity
 * saturates to the group's largest value; NaN stays NaN only in a format with a NaN encoding.
 */
public final class NumberFormat {
    public enum Scaling { ABSMAX, ASYMMETRIC, SHARED_EXPONENT }

    /** The MX block size of the OCP Microscaling specification. */
    public static final int MX_BLOCK = 32;

    public static final NumberFormat INT8 = new NumberFormat("int8", new IntGrid(8, true), Scaling.ABSMAX);
    public static final NumberFormat INT4 = new NumberFormat("int4", new IntGrid(4, true), Scaling.ABSMAX);
    public static final NumberFormat INT4_ASYM = new NumberFormat("int4-asym", new IntGrid(4, false), Scaling.ASYMMETRIC);
    public static final NumberFormat FP8_E4M3 = new NumberFormat("e4m3", MiniFloat.E4M3, Scaling.ABSMAX);
    public static final NumberFormat FP8_E5M2 = new NumberFormat("e5m2", MiniFloat.E5M2, Scaling.ABSMAX);
    public static final NumberFormat FP4_E2M1 = new NumberFormat("e2m1", MiniFloat.E2M1, Scaling.ABSMAX);
    public static final NumberFormat MXFP4 = new NumberFormat("mxfp4", MiniFloat.E2M1, Scaling.SHARED_EXPONENT);
    public static final NumberFormat MXFP8 = new NumberFormat("mxfp8", MiniFloat.E4M3, Scaling.SHARED_EXPONENT);
    public static final NumberFormat NF4 = new NumberFormat("nf4", Nf4Grid.NF4, Scaling.ABSMAX);

    /** The names {@link #parse} accepts, for help texts and error messages. */
    public static final List<String> NAMES = List.of("int2..int16", "int2-asym..int16-asym", "fp8 (= e4m3)", "e5m2",
            "fp4 (= e2m1)", "mxfp4", "mxfp8", "nf4");

    private final String name;
    private final ElementFormat element;
    private final Scaling scaling;
    private final int emax;   // SHARED_EXPONENT: exponent of the element's largest value

    NumberFormat(String name, ElementFormat element, Scaling scaling) {
        this.name = name; this.element = element; this.scaling = scaling;
        if (scaling == Scaling.ASYMMETRIC && !(element instanceof IntGrid g && !g.signed()))
            throw new IllegalArgumentException("asymmetric scaling needs an unsigned integer grid, got " + element.name());
        this.emax = Math.getExponent(element.max());
    }

    public String name() { return name; }
    public ElementFormat element() { return element; }
    public Scaling scaling() { return scaling; }

    /** Fixed block size the format defines (32 for MX formats), or 0 when the granularity is free. */
    public int block() { return scaling == Scaling.SHARED_EXPONENT ? MX_BLOCK : 0; }

    /** Bits per element. */
    public int bits() { return element.bits(); }

    /**
     * Storage per value including the group's scale: element bits + scale bits / group (a 16-bit
     * scale, plus a zero point of the element's width when asymmetric; MX: an 8-bit E8M0 scale per 32).
     */
    public double bitsPerValue(int group) {
        if (scaling == Scaling.SHARED_EXPONENT) return bits() + 8.0 / MX_BLOCK;
        double overhead = 16 + (scaling == Scaling.ASYMMETRIC ? bits() : 0);
        return bits() + overhead / Math.max(1, group);
    }

    /**
     * Parses a format name: int2..int16 (symmetric), int2-asym..int16-asym, fp8 or e4m3, e5m2, fp4 or
     * e2m1, mxfp4, mxfp8, nf4.
     */
    public static NumberFormat parse(String s) {
        String k = s.trim().toLowerCase(java.util.Locale.ROOT);
        switch (k) {
            case "fp8", "e4m3": return FP8_E4M3;
            case "e5m2": return FP8_E5M2;
            case "fp4", "e2m1": return FP4_E2M1;
            case "mxfp4": return MXFP4;
            case "mxfp8": return MXFP8;
            case "nf4": return NF4;
            default:
        }
        var m = java.util.regex.Pattern.compile("int(\\d{1,2})(-asym)?").matcher(k);
        if (m.matches()) {
            int bits = Integer.parseInt(m.group(1));
            if (bits >= 2 && bits <= 16) return integer(bits, m.group(2) != null);
        }
        throw new IllegalArgumentException("unknown number format '" + s + "': use one of " + String.join(", ", NAMES));
    }

    /** The b-bit integer format, symmetric or with a zero point. */
    public static NumberFormat integer(int bits, boolean asymmetric) {
        if (bits == 8 && !asymmetric) return INT8;
        if (bits == 4) return asymmetric ? INT4_ASYM : INT4;
        return asymmetric ? new NumberFormat("int" + bits + "-asym", new IntGrid(bits, false), Scaling.ASYMMETRIC)
                : new NumberFormat("int" + bits, new IntGrid(bits, true), Scaling.ABSMAX);
    }

    /**
     * The scale of a group x[off : off + len] (finite values only; clip in (0, 1] shrinks the range).
     * SHARED_EXPONENT: NaN scale when the block holds a non-finite value.
     */
    public GroupScale fit(float[] x, int off, int len, float clip) {
        float lo = 0, hi = 0;
        boolean nonFinite = false;
        for (int i = off; i < off + len; i++) {
            float v = x[i];
            if (!Float.isFinite(v)) { nonFinite = true; continue; }
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        return switch (scaling) {
            case ABSMAX -> absmaxScale(Math.max(-lo, hi), clip);
            case ASYMMETRIC -> asymmetricScale(lo, hi, clip);
            case SHARED_EXPONENT -> nonFinite ? new GroupScale(Float.NaN, 0) : sharedExponentScale(Math.max(-lo, hi) * clip);
        };
    }

    /** ABSMAX / SHARED_EXPONENT scale for a range of magnitude amax (before clipping for ABSMAX). */
    public GroupScale scaleForMagnitude(float amax, float clip) {
        return switch (scaling) {
            case ABSMAX -> absmaxScale(amax, clip);
            case ASYMMETRIC -> asymmetricScale(-amax, amax, clip);
            case SHARED_EXPONENT -> sharedExponentScale(amax * clip);
        };
    }

    /** Asymmetric scale for the range [lo, hi] before clipping. */
    public GroupScale scaleForRange(float lo, float hi, float clip) {
        if (scaling == Scaling.ASYMMETRIC) return asymmetricScale(Math.min(lo, 0), Math.max(hi, 0), clip);
        return scaleForMagnitude(Math.max(-lo, hi), clip);
    }

    private GroupScale absmaxScale(float amax, float clip) {
        float a = amax * clip;
        return a > 0 ? new GroupScale(a / element.max(), 0) : GroupScale.ZERO;
    }

    private GroupScale asymmetricScale(float lo, float hi, float clip) {
        float l = lo * clip, h = hi * clip;
        if (h - l <= 0) return GroupScale.ZERO;
        float levels = element.max();
        float scale = (h - l) / levels;
        float zero = (float) Math.max(0, Math.min(levels, Math.rint(-l / scale)));
        return new GroupScale(scale, zero);
    }

    private GroupScale sharedExponentScale(float amax) {
        if (!(amax > 0)) return new GroupScale(Math.scalb(1f, -127), 0);
        int e = Math.getExponent((double) amax) - emax;              // double: exact exponent of subnormal floats too
        e = Math.max(-127, Math.min(127, e));
        return new GroupScale((float) Math.scalb(1.0, e), 0);       // 2^-127 is a float subnormal: build it in double
    }

    /** One value quantized with its group's scale and dequantized. */
    public float quantize(float v, GroupScale s) {
        float scale = s.scale();
        if (Float.isNaN(scale)) return Float.NaN;                    // MX block with the NaN scale
        if (scaling == Scaling.ASYMMETRIC) {
            if (Float.isNaN(v)) throw new NonFiniteValueException(name + " has no NaN: cannot quantize NaN");
            if (scale == 0) return 0f;
            float levels = element.max();
            double q = Math.max(0, Math.min(levels, Math.rint(v / scale) + s.zero()));
            return (float) ((q - s.zero()) * scale);
        }
        if (scale == 0) {
            if (Float.isNaN(v)) return element.round(v);             // NaN, or the format's error
            return 0f;
        }
        return element.round(v / scale) * scale;
    }

    /** Fake-quantizes x[off : off + len] in place as one group. */
    public void fakeQuant(float[] x, int off, int len, float clip) {
        GroupScale s = fit(x, off, len, clip);
        for (int i = off; i < off + len; i++) x[i] = quantize(x[i], s);
    }

    @Override public String toString() { return name; }
}
