package dev.actlab.io.chart;

import java.util.ArrayList;
import java.util.List;

/** Axis ticks at "nice" values (1, 2, 5 x 10^k) on linear axes and powers of ten on log axes. */
public final class Ticks {
    private Ticks() {}

    public static List<Double> linear(double lo, double hi, int approx) {
        List<Double> out = new ArrayList<>();
        if (!(hi > lo)) { out.add(lo); return out; }
        double raw = (hi - lo) / Math.max(1, approx);
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
        for (double t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) out.add(Math.abs(t) < step * 1e-9 ? 0 : t);
        return out;
    }

    /** Powers of ten covering [lo, hi] (both > 0). */
    public static List<Double> log(double lo, double hi) {
        List<Double> out = new ArrayList<>();
        for (int e = (int) Math.floor(Math.log10(lo)); e <= (int) Math.ceil(Math.log10(hi)); e++) out.add(Math.pow(10, e));
        return out;
    }

    /** The range [lo, hi] widened to nice tick values. */
    public static double[] niceRange(double lo, double hi) {
        if (!(hi > lo)) { double pad = Math.max(1e-6, Math.abs(lo) * 0.1); return new double[]{lo - pad, hi + pad}; }
        List<Double> t = linear(lo, hi, 5);
        double step = t.size() > 1 ? t.get(1) - t.get(0) : (hi - lo);
        return new double[]{Math.floor(lo / step) * step, Math.ceil(hi / step) * step};
    }
}
