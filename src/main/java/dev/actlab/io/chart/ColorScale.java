package dev.actlab.io.chart;

import java.util.Locale;

/**
 * Maps values to colours along a perceptually ordered ramp (dark blue - teal - yellow, after
 * viridis' anchor colours), linearly or logarithmically between lo and hi.
 */
public final class ColorScale {
    private static final int[][] RAMP = {
            {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    private final double lo, hi;
    private final boolean log;

    public ColorScale(double lo, double hi, boolean log) {
        if (log) { lo = Math.max(lo, 1e-12); hi = Math.max(hi, lo * 10); }
        else if (!(hi > lo)) hi = lo + 1;
        this.lo = lo; this.hi = hi; this.log = log;
    }

    public double lo() { return lo; }
    public double hi() { return hi; }
    public boolean isLog() { return log; }

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
        double t = position(v);
        if (Double.isNaN(t)) return "#e5e5e5";
        double f = t * (RAMP.length - 1);
        int i = Math.min(RAMP.length - 2, (int) f);
        double u = f - i;
        int r = (int) Math.round(RAMP[i][0] + u * (RAMP[i + 1][0] - RAMP[i][0]));
        int g = (int) Math.round(RAMP[i][1] + u * (RAMP[i + 1][1] - RAMP[i][1]));
        int b = (int) Math.round(RAMP[i][2] + u * (RAMP[i + 1][2] - RAMP[i][2]));
        return String.format(Locale.ROOT, "#%02x%02x%02x", r, g, b);
    }

    /** Dark or light text that reads on the colour of v. */
    public String textColor(double v) { double t = position(v); return !Double.isNaN(t) && t > 0.55 ? "#111" : "#fff"; }
}
