package dev.actlab.io.chart;

import static dev.actlab.io.chart.Svg.esc;
import static dev.actlab.io.chart.Svg.num;
import static dev.actlab.io.chart.Svg.px;

import java.util.ArrayList;
import java.util.List;

/**
 * Lines over categories (layers): one polyline per series, a dot with a tooltip per value,
 * labelled axes with grid lines, linear or log10 y axis, legend at the right.
 */
public final class LineChart {
    private record Series(String name, double[] y, String color) {}

    private final String title, xLabel, yLabel;
    private final List<String> categories;
    private final boolean logY;
    private final List<Series> series = new ArrayList<>();

    public LineChart(String title, String xLabel, String yLabel, List<String> categories, boolean logY) {
        this.title = title; this.xLabel = xLabel; this.yLabel = yLabel; this.categories = categories; this.logY = logY;
    }

    public LineChart add(String name, double[] y) {
        if (y.length != categories.size()) throw new IllegalArgumentException(name + ": " + y.length + " values for " + categories.size() + " categories");
        series.add(new Series(name, y, Palette.color(series.size())));
        return this;
    }

    private boolean usable(double v) { return !Double.isNaN(v) && !Double.isInfinite(v) && (!logY || v > 0); }

    public String svg(int width, int height) {
        int left = 72, right = 190, top = 34, bottom = 52;
        double pw = width - left - right, ph = height - top - bottom;
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) for (double v : s.y) if (usable(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        if (lo == Double.POSITIVE_INFINITY) { lo = logY ? 1 : 0; hi = logY ? 10 : 1; }
        List<Double> ticks;
        if (logY) {
            lo = Math.pow(10, Math.floor(Math.log10(lo))); hi = Math.pow(10, Math.ceil(Math.log10(hi)));
            if (hi <= lo) hi = lo * 10;
            ticks = Ticks.log(lo, hi);
        } else {
            double[] r = Ticks.niceRange(Math.min(lo, 0), hi);
            lo = r[0]; hi = r[1];
            ticks = Ticks.linear(lo, hi, 5);
        }
        final double ylo = lo, yhi = hi;
        int n = categories.size();
        java.util.function.DoubleUnaryOperator yOf = v -> logY
                ? top + ph * (1 - (Math.log10(v) - Math.log10(ylo)) / (Math.log10(yhi) - Math.log10(ylo)))
                : top + ph * (1 - (v - ylo) / (yhi - ylo));
        java.util.function.IntToDoubleFunction xOf = i -> left + (n == 1 ? pw / 2 : pw * i / (n - 1));

        StringBuilder b = new StringBuilder();
        b.append("<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"").append(height)
                .append("\" viewBox=\"0 0 ").append(width).append(' ').append(height).append("\" role=\"img\" aria-label=\"").append(esc(title)).append("\">\n");
        b.append("<text class=\"title\" x=\"").append(left).append("\" y=\"20\">").append(esc(title)).append("</text>\n");
        for (double t : ticks) {
            double y = yOf.applyAsDouble(t);
            b.append("<line class=\"grid\" x1=\"").append(left).append("\" x2=\"").append(px(left + pw)).append("\" y1=\"").append(px(y)).append("\" y2=\"").append(px(y)).append("\"/>");
            b.append("<text class=\"tick\" x=\"").append(left - 6).append("\" y=\"").append(px(y + 4)).append("\" text-anchor=\"end\">").append(esc(num(t))).append("</text>\n");
        }
        int every = Math.max(1, (int) Math.ceil(n * 28.0 / pw));
        for (int i = 0; i < n; i += every) {
            double x = xOf.applyAsDouble(i);
            b.append("<line class=\"axis\" x1=\"").append(px(x)).append("\" x2=\"").append(px(x)).append("\" y1=\"").append(px(top + ph)).append("\" y2=\"").append(px(top + ph + 4)).append("\"/>");
            b.append("<text class=\"tick\" x=\"").append(px(x)).append("\" y=\"").append(px(top + ph + 17)).append("\" text-anchor=\"middle\">").append(esc(categories.get(i))).append("</text>\n");
        }
        b.append("<line class=\"axis\" x1=\"").append(left).append("\" x2=\"").append(px(left + pw)).append("\" y1=\"").append(px(top + ph)).append("\" y2=\"").append(px(top + ph)).append("\"/>");
        b.append("<line class=\"axis\" x1=\"").append(left).append("\" x2=\"").append(left).append("\" y1=\"").append(top).append("\" y2=\"").append(px(top + ph)).append("\"/>\n");
        b.append("<text class=\"label\" x=\"").append(px(left + pw / 2)).append("\" y=\"").append(height - 10).append("\" text-anchor=\"middle\">").append(esc(xLabel)).append("</text>\n");
        b.append("<text class=\"label\" transform=\"translate(16,").append(px(top + ph / 2)).append(") rotate(-90)\" text-anchor=\"middle\">")
                .append(esc(yLabel + (logY ? " (log scale)" : ""))).append("</text>\n");
        for (int s = 0; s < series.size(); s++) {
            Series se = series.get(s);
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < n; i++) {
                if (!usable(se.y[i])) { flush(b, pts, se.color); continue; }
                pts.append(px(xOf.applyAsDouble(i))).append(',').append(px(yOf.applyAsDouble(se.y[i]))).append(' ');
            }
            flush(b, pts, se.color);
            for (int i = 0; i < n; i++) {
                if (!usable(se.y[i])) continue;
                b.append("<circle cx=\"").append(px(xOf.applyAsDouble(i))).append("\" cy=\"").append(px(yOf.applyAsDouble(se.y[i])))
                        .append("\" r=\"3.5\" fill=\"").append(se.color).append("\"><title>").append(esc(se.name + ", " + xLabel + " " + categories.get(i) + ": " + num(se.y[i])))
                        .append("</title></circle>");
            }
            double ly = top + 8 + s * 20;
            b.append("\n<line x1=\"").append(px(left + pw + 16)).append("\" x2=\"").append(px(left + pw + 40)).append("\" y1=\"").append(px(ly)).append("\" y2=\"").append(px(ly))
                    .append("\" stroke=\"").append(se.color).append("\" stroke-width=\"2.5\"/>");
            b.append("<text class=\"legend\" x=\"").append(px(left + pw + 46)).append("\" y=\"").append(px(ly + 4)).append("\">").append(esc(se.name)).append("</text>\n");
        }
        return b.append("</svg>\n").toString();
    }

    private static void flush(StringBuilder b, StringBuilder pts, String color) {
        if (pts.isEmpty()) return;
        b.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"2\" points=\"").append(pts.toString().trim()).append("\"/>\n");
        pts.setLength(0);
    }
}
