package dev.actlab.io.chart;

import java.util.Locale;

/**
 * Maps values to colours, linearly or logarithmically between lo and hi. For charts (the constructor):
 * a perceptually ordered ramp, dark blue - teal - yellow, after viridis' anchor colours. For
 * coloured text: sequential (non-negative quantities) white to blue, and diverging (signed
 * quantities) red - white - blue centred on zero, red negative and blue positive, as CircuitsVis
 * colours tokens; both white at 0.
 */
public final class ColorScale {
    private static final int[][] SEQUENTIAL = {
            {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    /** White to dark blue (RdBu's blue half): for text backgrounds, where 0 must read as no colour. */
    private static final int[][] LIGHT = {{247, 247, 247}, {146, 197, 222}, {67, 147, 195}, {5, 48, 97}};
    /** ColorBrewer RdBu's end and middle colours: -max, 0, +max. */
    private static final int[][] DIVERGING = {{178, 24, 43}, {247, 247, 247}, {33, 102, 172}};
    private final double lo, hi;
    private final boolean log;
    private final int[][] ramp;

    public ColorScale(double lo, double hi, boolean log) { this(lo, hi, log, SEQUENTIAL); }

    private ColorScale(double lo, double hi, boolean log, int[][] ramp) {
        if (log) { lo = Math.max(lo, 1e-12); hi = Math.max(hi, lo * 10); }
        else if (!(hi > lo)) hi = lo + 1;
        this.lo = lo; this.hi = hi; this.log = log; this.ramp = ramp;
    }

    /** A sequential scale for non-negative values in [lo, hi], white at lo (for coloured text). */
    public static ColorScale sequential(double lo, double hi) { return new ColorScale(lo, hi, false, LIGHT); }

    /** A diverging scale, symmetric about zero: -maxAbs red, 0 white, +maxAbs blue. */
    public static ColorScale diverging(double maxAbs) {
        double m = maxAbs > 0 && Double.isFinite(maxAbs) ? maxAbs : 1;
        return new ColorScale(-m, m, false, DIVERGING);
    }

    /** A diverging scale for signed values, a sequential one from 0 (or the minimum) for non-negative ones. */
    public static ColorScale forValues(double[] values, boolean signed) {
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, maxAbs = 0;
        for (double v : values) {
            if (Double.isNaN(v)) continue;
            min = Math.min(min, v); max = Math.max(max, v); maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        if (signed) return diverging(maxAbs);
        if (min == Double.POSITIVE_INFINITY) return sequential(0, 1);
        return sequential(Math.min(0, min), max);
    }

    public double lo() { return lo; }
    public double hi() { return hi; }
    public boolean isLog() { return log; }
    public boolean isDiverging() { return ramp == DIVERGING; }

    /** Position of v along the ramp in [0, 1]. */
    public double position(double v) {
        if (Double.isNaN(v)) return Double.NaN;
        double t = log ? (Math.log(Math.max(v, lo)) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : (v - lo) / (hi - lo);
        return Math.max(0, Math.min(1, t));
    }

    /** The value at a position in [0, 1] (inverse of position). */
    public double valueAt(double t) { return log ? Math.exp(Math.log(lo) + t * (Math.log(hi) - Math.log(lo))) : lo + t * (hi - lo); }

    /** CSS colour of v; light grey for NaN (no data). */
    public String color(double v) {
        int[] c = rgb(v);
        return c == null ? "#e5e5e5" : String.format(Locale.ROOT, "#%02x%02x%02x", c[0], c[1], c[2]);
    }

    /** Dark or light text that reads on the colour of v (by the colour's luminance). */
    public String textColor(double v) {
        int[] c = rgb(v);
        if (c == null) return "#111";
        double luminance = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
        return luminance > 140 ? "#111" : "#fff";
    }

    private int[] rgb(double v) {
        double t = position(v);
        if (Double.isNaN(t)) return null;
        double f = t * (ramp.length - 1);
        int i = Math.min(ramp.length - 2, (int) f);
        double u = f - i;
        int[] c = new int[3];
        for (int k = 0; k < 3; k++) c[k] = (int) Math.round(ramp[i][k] + u * (ramp[i + 1][k] - ramp[i][k]));
        return c;
    }
}
