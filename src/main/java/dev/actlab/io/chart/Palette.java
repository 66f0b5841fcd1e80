package dev.actlab.io.chart;

/** Colours for series, distinguishable and in a fixed order. */
public final class Palette {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"};

    private Palette() {}

    public static String color(int i) { return COLORS[i % COLORS.length]; }
}
