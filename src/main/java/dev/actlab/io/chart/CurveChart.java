package dev.actlab.io.chart;

import static dev.actlab.io.chart.Svg.esc;
import static dev.actlab.io.chart.Svg.num;
import static dev.actlab.io.chart.Svg.px;

import java.util.ArrayList;
import java.util.List;

/**
 * Curves through points (x, y) on numeric axes, each series joined in the order its points were
 * added (e.g. effect against KL, one point per steering strength), each point labelled and with a
 * tooltip; an optional dashed vertical line marks a threshold on x (a budget).
 */
public final class CurveChart {
    private record Point(double x, double y, String label) {}
    private record Series(String name, String color, List<Point> points) {}

    private final String title, xLabel, yLabel;
    private final List<Series> series = new ArrayList<>();
    private Double xMark;
    private String xMarkLabel;

    public CurveChart(String title, String xLabel, String yLabel) { this.title = title; this.xLabel = xLabel; this.yLabel = yLabel; }

    /** Adds a point to the named series (created on first use); label is drawn beside it. Non-finite points are left out. */
    public CurveChart add(String name, double x, double y, String label) {
        Series s = series.stream().filter(e -> e.name.equals(name)).findFirst().orElse(null);
        if (s == null) { s = new Series(name, Palette.color(series.size()), new ArrayList<>()); series.add(s); }
        if (Double.isFinite(x) && Double.isFinite(y)) s.points.add(new Point(x, y, label));
        return this;
    }

    /** A dashed vertical line at x = value, captioned. */
    public CurveChart markX(double value, String caption) { xMark = value; xMarkLabel = caption; return this; }

    public String svg(int width, int height) {
        int left = 72, right = 190, top = 34, bottom = 52;
        double pw = width - left - right, ph = height - top - bottom;
        double xlo = Double.POSITIVE_INFINITY, xhi = Double.NEGATIVE_INFINITY, ylo = Double.POSITIVE_INFINITY, yhi = Double.NEGATIVE_INFINITY;
        for (Series s : series) for (Point p : s.points) { xlo = Math.min(xlo, p.x); xhi = Math.max(xhi, p.x); ylo = Math.min(ylo, p.y); yhi = Math.max(yhi, p.y); }
        if (xMark != null && Double.isFinite(xMark)) { xlo = Math.min(xlo, xMark); xhi = Math.max(xhi, xMark); }
        if (xlo == Double.POSITIVE_INFINITY) { xlo = 0; xhi = 1; ylo = 0; yhi = 1; }
        double[] rx = Ticks.niceRange(Math.min(xlo, 0), xhi == xlo ? xlo + 1 : xhi), ry = Ticks.niceRange(ylo, yhi == ylo ? ylo + 1 : yhi);
        final double ax = rx[0], zx = rx[1], ay = ry[0], zy = ry[1];
        java.util.function.DoubleUnaryOperator xOf = v -> left + pw * (v - ax) / (zx - ax), yOf = v -> top + ph * (1 - (v - ay) / (zy - ay));

        StringBuilder b = new StringBuilder();
        b.append("<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"").append(height)
                .append("\" viewBox=\"0 0 ").append(width).append(' ').append(height).append("\" role=\"img\" aria-label=\"").append(esc(title)).append("\">\n");
        b.append("<text class=\"title\" x=\"").append(left).append("\" y=\"20\">").append(esc(title)).append("</text>\n");
        for (double t : Ticks.linear(ay, zy, 5)) {
            double y = yOf.applyAsDouble(t);
            b.append("<line class=\"grid\" x1=\"").append(left).append("\" x2=\"").append(px(left + pw)).append("\" y1=\"").append(px(y)).append("\" y2=\"").append(px(y)).append("\"/>");
            b.append("<text class=\"tick\" x=\"").append(left - 6).append("\" y=\"").append(px(y + 4)).append("\" text-anchor=\"end\">").append(esc(num(t))).append("</text>\n");
        }
        for (double t : Ticks.linear(ax, zx, 6)) {
            double x = xOf.applyAsDouble(t);
            b.append("<line class=\"grid\" x1=\"").append(px(x)).append("\" x2=\"").append(px(x)).append("\" y1=\"").append(top).append("\" y2=\"").append(px(top + ph)).append("\"/>");
            b.append("<text class=\"tick\" x=\"").append(px(x)).append("\" y=\"").append(px(top + ph + 17)).append("\" text-anchor=\"middle\">").append(esc(num(t))).append("</text>\n");
        }
        if (xMark != null && Double.isFinite(xMark)) {
            double x = xOf.applyAsDouble(xMark);
            b.append("<line x1=\"").append(px(x)).append("\" x2=\"").append(px(x)).append("\" y1=\"").append(top).append("\" y2=\"").append(px(top + ph))
                    .append("\" stroke=\"#888\" stroke-dasharray=\"4 4\"/>");
            b.append("<text class=\"tick\" x=\"").append(px(x - 4)).append("\" y=\"").append(top + 10).append("\" text-anchor=\"end\">").append(esc(xMarkLabel)).append("</text>\n");
        }
        b.append("<line class=\"axis\" x1=\"").append(left).append("\" x2=\"").append(px(left + pw)).append("\" y1=\"").append(px(top + ph)).append("\" y2=\"").append(px(top + ph)).append("\"/>");
        b.append("<line class=\"axis\" x1=\"").append(left).append("\" x2=\"").append(left).append("\" y1=\"").append(top).append("\" y2=\"").append(px(top + ph)).append("\"/>\n");
        b.append("<text class=\"label\" x=\"").append(px(left + pw / 2)).append("\" y=\"").append(height - 10).append("\" text-anchor=\"middle\">").append(esc(xLabel)).append("</text>\n");
        b.append("<text class=\"label\" transform=\"translate(16,").append(px(top + ph / 2)).append(") rotate(-90)\" text-anchor=\"middle\">").append(esc(yLabel)).append("</text>\n");
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            StringBuilder pts = new StringBuilder();
            for (Point p : s.points) pts.append(px(xOf.applyAsDouble(p.x))).append(',').append(px(yOf.applyAsDouble(p.y))).append(' ');
            if (!pts.isEmpty()) b.append("<polyline fill=\"none\" stroke=\"").append(s.color).append("\" stroke-width=\"2\" points=\"").append(pts.toString().trim()).append("\"/>\n");
            for (Point p : s.points) {
                double x = xOf.applyAsDouble(p.x), y = yOf.applyAsDouble(p.y);
                b.append("<circle cx=\"").append(px(x)).append("\" cy=\"").append(px(y)).append("\" r=\"3.5\" fill=\"").append(s.color).append("\"><title>")
                        .append(esc(s.name + " " + p.label + ": " + xLabel + " " + num(p.x) + ", " + yLabel + " " + num(p.y))).append("</title></circle>");
                if (p.label != null && !p.label.isEmpty())
                    b.append("<text class=\"tick\" x=\"").append(px(x + 5)).append("\" y=\"").append(px(y - 5)).append("\">").append(esc(p.label)).append("</text>");
            }
            double ly = top + 8 + i * 20;
            b.append("\n<line x1=\"").append(px(left + pw + 16)).append("\" x2=\"").append(px(left + pw + 40)).append("\" y1=\"").append(px(ly)).append("\" y2=\"").append(px(ly))
                    .append("\" stroke=\"").append(s.color).append("\" stroke-width=\"2.5\"/>");
            b.append("<text class=\"legend\" x=\"").append(px(left + pw + 46)).append("\" y=\"").append(px(ly + 4)).append("\">").append(esc(s.name)).append("</text>\n");
        }
        return b.append("</svg>\n").toString();
    }
}
