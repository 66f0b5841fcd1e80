package dev.actlab.io.chart;

import static dev.actlab.io.chart.Svg.esc;
import static dev.actlab.io.chart.Svg.num;
import static dev.actlab.io.chart.Svg.px;

import java.util.ArrayList;
import java.util.List;

/** Grouped vertical bars: one group per category (layer), one bar per series, tooltips with the values. */
public final class BarChart {
    private record Series(String name, double[] y, String color) {}

    private final String title, xLabel, yLabel;
    private final List<String> categories;
    private final boolean percent;
    private final List<Series> series = new ArrayList<>();

    /** @param percent values are fractions in [0, 1], shown as percentages */
    public BarChart(String title, String xLabel, String yLabel, List<String> categories, boolean percent) {
        this.title = title; this.xLabel = xLabel; this.yLabel = yLabel; this.categories = categories; this.percent = percent;
    }

    public BarChart add(String name, double[] y) {
        if (y.length != categories.size()) throw new IllegalArgumentException(name + ": " + y.length + " values for " + categories.size() + " categories");
        series.add(new Series(name, y, Palette.color(series.size())));
        return this;
    }

    private String fmt(double v) { return percent ? Svg.pct(v) : num(v); }

    public String svg(int width, int height) {
        int left = 72, right = 190, top = 34, bottom = 52;
        double pw = width - left - right, ph = height - top - bottom;
        double hi = 0;
        for (Series s : series) for (double v : s.y) if (!Double.isNaN(v)) hi = Math.max(hi, v);
        if (percent) hi = hi <= 0 ? 1 : Math.min(1, Ticks.niceRange(0, hi)[1]);
        else hi = hi <= 0 ? 1 : Ticks.niceRange(0, hi)[1];
        final double yhi = hi;
        java.util.function.DoubleUnaryOperator yOf = v -> top + ph * (1 - v / yhi);
        int n = categories.size(), k = Math.max(1, series.size());
        double group = pw / n, bar = group * 0.8 / k;

        StringBuilder b = new StringBuilder();
        b.append("<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"").append(height)
                .append("\" viewBox=\"0 0 ").append(width).append(' ').append(height).append("\" role=\"img\" aria-label=\"").append(esc(title)).append("\">\n");
        b.append("<text class=\"title\" x=\"").append(left).append("\" y=\"20\">").append(esc(title)).append("</text>\n");
        for (double t : Ticks.linear(0, hi, 5)) {
            double y = yOf.applyAsDouble(t);
            b.append("<line class=\"grid\" x1=\"").append(left).append("\" x2=\"").append(px(left + pw)).append("\" y1=\"").append(px(y)).append("\" y2=\"").append(px(y)).append("\"/>");
            b.append("<text class=\"tick\" x=\"").append(left - 6).append("\" y=\"").append(px(y + 4)).append("\" text-anchor=\"end\">").append(esc(fmt(t))).append("</text>\n");
        }
        for (int i = 0; i < n; i++) {
            for (int s = 0; s < series.size(); s++) {
                Series se = series.get(s);
                double v = se.y[i];
                if (Double.isNaN(v)) continue;
                double x = left + i * group + group * 0.1 + s * bar, y = yOf.applyAsDouble(v);
                b.append("<rect x=\"").append(px(x)).append("\" y=\"").append(px(y)).append("\" width=\"").append(px(Math.max(1, bar - 1)))
                        .append("\" height=\"").append(px(Math.max(0, top + ph - y))).append("\" fill=\"").append(se.color).append("\"><title>")
                        .append(esc(se.name + ", " + xLabel + " " + categories.get(i) + ": " + fmt(v))).append("</title></rect>");
            }
            b.append("<text class=\"tick\" x=\"").append(px(left + (i + 0.5) * group)).append("\" y=\"").append(px(top + ph + 17))
                    .append("\" text-anchor=\"middle\">").append(esc(categories.get(i))).append("</text>\n");
        }
        b.append("<line class=\"axis\" x1=\"").append(left).append("\" x2=\"").append(px(left + pw)).append("\" y1=\"").append(px(top + ph)).append("\" y2=\"").append(px(top + ph)).append("\"/>");
        b.append("<line class=\"axis\" x1=\"").append(left).append("\" x2=\"").append(left).append("\" y1=\"").append(top).append("\" y2=\"").append(px(top + ph)).append("\"/>\n");
        b.append("<text class=\"label\" x=\"").append(px(left + pw / 2)).append("\" y=\"").append(height - 10).append("\" text-anchor=\"middle\">").append(esc(xLabel)).append("</text>\n");
        b.append("<text class=\"label\" transform=\"translate(16,").append(px(top + ph / 2)).append(") rotate(-90)\" text-anchor=\"middle\">").append(esc(yLabel)).append("</text>\n");
        for (int s = 0; s < series.size(); s++) {
            double ly = top + 8 + s * 20;
            b.append("<rect x=\"").append(px(left + pw + 16)).append("\" y=\"").append(px(ly - 6)).append("\" width=\"14\" height=\"12\" fill=\"").append(series.get(s).color).append("\"/>");
            b.append("<text class=\"legend\" x=\"").append(px(left + pw + 36)).append("\" y=\"").append(px(ly + 4)).append("\">").append(esc(series.get(s).name)).append("</text>\n");
        }
        return b.append("</svg>\n").toString();
    }
}
