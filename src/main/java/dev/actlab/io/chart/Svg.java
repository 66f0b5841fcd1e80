package dev.actlab.io.chart;

import java.util.Locale;

/** Writing SVG and HTML text: escaping and compact number formatting. */
public final class Svg {
    private Svg() {}

    /** Escapes text for HTML/SVG content and attribute values. */
    public static String esc(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** A number for a label: 4 significant digits, scientific outside [1e-3, 1e5), "–" for NaN. */
    public static String num(double v) {
        if (Double.isNaN(v)) return "\u2013";
        if (Double.isInfinite(v)) return v > 0 ? "\u221e" : "-\u221e";
        if (v == 0) return "0";
        double a = Math.abs(v);
        if (a >= 1e5 || a < 1e-3) return String.format(Locale.ROOT, "%.3g", v);
        if (a >= 1e4) return String.format(Locale.ROOT, "%.0f", v);   // %.4g would switch to 1.000e+04
        String s = String.format(Locale.ROOT, "%.4g", v);
        if (s.contains(".") && !s.contains("e")) s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        return s;
    }

    /** A coordinate: one decimal is plenty for a screen. */
    public static String px(double v) { return String.format(Locale.ROOT, "%.1f", v); }

    /** A percentage with one decimal. */
    public static String pct(double fraction) {
        return Double.isNaN(fraction) ? "\u2013" : String.format(Locale.ROOT, "%.1f%%", fraction * 100);
    }
}
