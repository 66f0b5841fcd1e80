package dev.actlab.io.chart;

import static dev.actlab.io.chart.Svg.esc;
import static dev.actlab.io.chart.Svg.num;
import static dev.actlab.io.chart.Svg.px;

import java.util.ArrayList;
import java.util.List;

/**
 * Points (x, y) in named groups, each group in its own colour, with a dashed y = x diagonal:
 * for comparing an estimate against the value it estimates.
 */
public final class ScatterChart {
    private record Point(double x, double y, String label) {}
    private record Group(String name, String color, List<Point> points) {}

    private final String title, xLabel, yLabel;
    private final List<Group> groups = new ArrayList<>();

    public ScatterChart(String title, String xLabel, String yLabel) {
        this.title = title; this.xLabel = xLabel; this.yLabel = yLabel;
    }

    /** Adds a point to the named group (created on first use); label is its tooltip. */
    public ScatterChart add(String group, double x, double y, String label) {
        Group g = groups.stream().filter(e -> e.name.equals(group)).findFirst().orElse(null);
        if (g == null) { g = new Group(group, Palette.color(groups.size()), new ArrayList<>()); groups.add(g); }
        if (Double.isFinite(x) && Double.isFinite(y)) g.points.add(new Point(x, y, label));
        return this;
    }

    public String svg(int width, int height) {
        int left = 72, right = 190, top = 34, bottom = 52;
        double pw = width - left - right, ph = height - top - bottom;
        double lo = 0, hi = 0;   // one range for both axes, so that y = x is the diagonal
        for (Group g : groups) for (Point p : g.points) { lo = Math.min(lo, Math.min(p.x, p.y)); hi = Math.max(hi, Math.max(p.x, p.y)); }
        double[] r = Ticks.niceRange(lo, hi == lo ? lo + 1 : hi);
        final double a = r[0], z = r[1];
        List<Double> ticks = Ticks.linear(a, z, 5);
        java.util.function.DoubleUnaryOperator xOf = v -> left + pw * (v - a) / (z - a), yOf = v -> top + ph * (1 - (v - a) / (z - a));

        StringBuilder b = new StringBuilder();
        b.append("<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"").append(height)
                .append("\" viewBox=\"0 0 ").append(width).append(' ').append(height).append("\" role=\"img\" aria-label=\"").append(esc(title)).append("\">\n");
        b.append("<text class=\"title\" x=\"").append(left).append("\" y=\"20\">").append(esc(title)).append("</text>\n");
        for (double t : ticks) {
            double x = xOf.applyAsDouble(t), y = yOf.applyAsDouble(t);
            b.append("<line class=\"grid\" x1=\"").append(left).append("\" x2=\"").append(px(left + pw)).append("\" y1=\"").append(px(y)).append("\" y2=\"").append(px(y)).append("\"/>");
            b.append("<text class=\"tick\" x=\"").append(left - 6).append("\" y=\"").append(px(y + 4)).append("\" text-anchor=\"end\">").append(esc(num(t))).append("</text>");
            b.append("<line class=\"grid\" x1=\"").append(px(x)).append("\" x2=\"").append(px(x)).append("\" y1=\"").append(top).append("\" y2=\"").append(px(top + ph)).append("\"/>");
            b.append("<text class=\"tick\" x=\"").append(px(x)).append("\" y=\"").append(px(top + ph + 17)).append("\" text-anchor=\"middle\">").append(esc(num(t))).append("</text>\n");
        }
        b.append("<line x1=\"").append(px(xOf.applyAsDouble(a))).append("\" y1=\"").append(px(yOf.applyAsDouble(a))).append("\" x2=\"").append(px(xOf.applyAsDouble(z)))
                .append("\" y2=\"").append(px(yOf.applyAsDouble(z))).append("\" stroke=\"#888\" stroke-dasharray=\"4 4\"/>\n");
        b.append("<line class=\"axis\" x1=\"").append(left).append("\" x2=\"").append(px(left + pw)).append("\" y1=\"").append(px(top + ph)).append("\" y2=\"").append(px(top + ph)).append("\"/>");
        b.append("<line class=\"axis\" x1=\"").append(left).append("\" x2=\"").append(left).append("\" y1=\"").append(top).append("\" y2=\"").append(px(top + ph)).append("\"/>\n");
        b.append("<text class=\"label\" x=\"").append(px(left + pw / 2)).append("\" y=\"").append(height - 10).append("\" text-anchor=\"middle\">").append(esc(xLabel)).append("</text>\n");
        b.append("<text class=\"label\" transform=\"translate(16,").append(px(top + ph / 2)).append(") rotate(-90)\" text-anchor=\"middle\">").append(esc(yLabel)).append("</text>\n");
        for (int i = 0; i < groups.size(); i++) {
            Group g = groups.get(i);
            for (Point p : g.points)
                b.append("<circle cx=\"").append(px(xOf.applyAsDouble(p.x))).append("\" cy=\"").append(px(yOf.applyAsDouble(p.y))).append("\" r=\"3.5\" fill=\"").append(g.color)
                        .append("\" fill-opacity=\"0.8\"><title>").append(esc(p.label + ": " + num(p.x) + ", " + num(p.y))).append("</title></circle>");
            double ly = top + 8 + i * 20;
            b.append("\n<circle cx=\"").append(px(left + pw + 26)).append("\" cy=\"").append(px(ly)).append("\" r=\"4.5\" fill=\"").append(g.color).append("\"/>");
            b.append("<text class=\"legend\" x=\"").append(px(left + pw + 38)).append("\" y=\"").append(px(ly + 4)).append("\">").append(esc(g.name)).append("</text>\n");
        }
        return b.append("</svg>\n").toString();
    }
}
