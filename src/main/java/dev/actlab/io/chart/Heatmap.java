package dev.actlab.io.chart;

import static dev.actlab.io.chart.Svg.esc;
import static dev.actlab.io.chart.Svg.num;
import static dev.actlab.io.chart.Svg.px;

import java.util.List;

/**
 * A rows x columns grid of coloured cells (e.g. layer x channel), each with a tooltip, a colour
 * bar with its scale at the right, and labelled axes. Cells shrink to fit wide matrices.
 */
public final class Heatmap {
    private final String title, xLabel, yLabel, valueLabel;
    private final List<String> rows, cols;
    private final double[][] v;   // [rows][cols], NaN = no data
    private final ColorScale scale;
    private boolean showValues;

    public Heatmap(String title, String xLabel, String yLabel, String valueLabel, List<String> rows, List<String> cols,
                   double[][] values, ColorScale scale) {
        this.title = title; this.xLabel = xLabel; this.yLabel = yLabel; this.valueLabel = valueLabel;
        this.rows = rows; this.cols = cols; this.v = values; this.scale = scale;
    }

    /** Prints each value in its cell when the cells are wide enough. */
    public Heatmap showValues(boolean on) { this.showValues = on; return this; }

    public String svg(int maxWidth) {
        int left = Math.max(80, 12 + 7 * rows.stream().mapToInt(String::length).max().orElse(0)), right = 110, top = 34;   // row labels fit
        int nr = rows.size(), nc = cols.size();
        double cw = Math.max(1.5, Math.min(44, (double) (maxWidth - left - right) / Math.max(1, nc)));
        int colEvery = Math.max(1, (int) Math.ceil(30 / cw));
        if (colEvery > 1) colEvery = niceStep(colEvery);
        // labels wider than their slot (about 6.5 px a character) are rotated so that neighbours do not collide
        int longest = 0;
        for (int c = 0; c < nc; c += colEvery) longest = Math.max(longest, cols.get(c).length());
        boolean rotate = longest * 6.5 > cw * colEvery - 4;
        int bottom = rotate ? 52 + (int) Math.ceil(Math.min(longest, 40) * 6.5 * Math.sin(Math.toRadians(40))) : 52;
        double ch = nr <= 16 ? 26 : Math.max(6, 420.0 / nr);
        double pw = cw * nc, ph = ch * nr;
        double bh = Math.max(ph, 120);   // colour bar height
        int width = (int) Math.ceil(left + pw + right), height = (int) Math.ceil(Math.max(top + ph + bottom, top + bh + 24));
        boolean values = showValues && cw >= 38;

        StringBuilder b = new StringBuilder();
        b.append("<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"").append(height)
                .append("\" viewBox=\"0 0 ").append(width).append(' ').append(height).append("\" role=\"img\" aria-label=\"").append(esc(title)).append("\">\n");
        b.append("<text class=\"title\" x=\"").append(left).append("\" y=\"20\">").append(esc(title)).append("</text>\n");
        for (int r = 0; r < nr; r++) {
            double y = top + r * ch;
            for (int c = 0; c < nc; c++) {
                double x = left + c * cw, val = v[r][c];
                b.append("<rect x=\"").append(px(x)).append("\" y=\"").append(px(y)).append("\" width=\"").append(px(cw + 0.3)).append("\" height=\"").append(px(ch + 0.3))
                        .append("\" fill=\"").append(scale.color(val)).append("\"><title>")
                        .append(esc(yLabel + " " + rows.get(r) + ", " + xLabel + " " + cols.get(c) + ": " + valueLabel + " " + num(val))).append("</title></rect>");
                // a value that rounds to zero prints nothing: a grid of "0" hides the cells that matter
                if (values && !Double.isNaN(val) && Math.round(val * 100) != 0)
                    b.append("<text class=\"cell\" x=\"").append(px(x + cw / 2)).append("\" y=\"").append(px(y + ch / 2 + 4)).append("\" text-anchor=\"middle\" fill=\"")
                            .append(scale.textColor(val)).append("\">").append(esc(num(Math.round(val * 100) / 100.0))).append("</text>");
            }
            b.append('\n');
        }
        int rowEvery = Math.max(1, (int) Math.ceil(14 / ch));
        for (int r = 0; r < nr; r += rowEvery)
            b.append("<text class=\"tick\" x=\"").append(left - 6).append("\" y=\"").append(px(top + (r + 0.5) * ch + 4)).append("\" text-anchor=\"end\">").append(esc(rows.get(r))).append("</text>");
        for (int c = 0; c < nc; c += colEvery) {
            double x = left + (c + 0.5) * cw;
            b.append("<line class=\"axis\" x1=\"").append(px(x)).append("\" x2=\"").append(px(x)).append("\" y1=\"").append(px(top + ph)).append("\" y2=\"").append(px(top + ph + 4)).append("\"/>");
            if (rotate)
                b.append("<text class=\"tick\" transform=\"translate(").append(px(x + 3)).append(',').append(px(top + ph + 10)).append(") rotate(-40)\" text-anchor=\"end\">").append(esc(cols.get(c))).append("</text>");
            else
                b.append("<text class=\"tick\" x=\"").append(px(x)).append("\" y=\"").append(px(top + ph + 17)).append("\" text-anchor=\"middle\">").append(esc(cols.get(c))).append("</text>");
        }
        b.append('\n');
        b.append("<text class=\"label\" x=\"").append(px(left + pw / 2)).append("\" y=\"").append(px(top + ph + bottom - 10)).append("\" text-anchor=\"middle\">").append(esc(xLabel)).append("</text>\n");
        b.append("<text class=\"label\" transform=\"translate(16,").append(px(top + ph / 2)).append(") rotate(-90)\" text-anchor=\"middle\">").append(esc(yLabel)).append("</text>\n");
        // colour bar: 50 steps from lo (bottom) to hi (top), ticks at its ends and middle
        double bx = left + pw + 24, bw = 14;
        int steps = 50;
        for (int i = 0; i < steps; i++) {
            double t = (i + 0.5) / steps;
            b.append("<rect x=\"").append(px(bx)).append("\" y=\"").append(px(top + bh * (1 - (i + 1.0) / steps))).append("\" width=\"").append(bw)
                    .append("\" height=\"").append(px(bh / steps + 0.4)).append("\" fill=\"").append(scale.color(scale.valueAt(t))).append("\"/>");
        }
        for (double t : new double[]{0, 0.5, 1})
            b.append("<text class=\"tick\" x=\"").append(px(bx + bw + 4)).append("\" y=\"").append(px(top + bh * (1 - t) + 4)).append("\">").append(esc(num(scale.valueAt(t)))).append("</text>");
        b.append("<text class=\"tick\" x=\"").append(px(bx)).append("\" y=\"").append(px(top + bh + 16)).append("\">").append(esc(valueLabel + (scale.isLog() ? " (log)" : ""))).append("</text>\n");
        return b.append("</svg>\n").toString();
    }

    private static int niceStep(int s) {
        for (int n : new int[]{2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64, 100, 128, 200, 256, 500, 512, 1000}) if (n >= s) return n;
        return s;
    }
}
