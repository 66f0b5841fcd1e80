package dev.actlab.cli;

import dev.actlab.io.AtomicFile;
import dev.actlab.io.chart.Svg;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code DIR/index.html} of {@code actlab demo}: one section per step with links to the reports it wrote and
 * its headline numbers, read from the step's section of demo.json (so a step added to the tour appears here
 * without changes): scalars as a table, lists of records as tables, a square table of numbers (the
 * similarity table) as a matrix labelled with the step's sentences. Self-contained, no scripts.
 */
final class DemoIndex {
    static final String FILE = "index.html";
    private static final int MAX_ROWS = 24;

    private DemoIndex() {}

    /** Writes DIR/index.html for the steps whose sections are in report (in the steps' order). */
    static Path write(Path dir, List<DemoStep> steps, Map<String, Object> report) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>actlab demo</title><style>")
                .append("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}")
                .append("h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.8em}")
                .append("table{border-collapse:collapse;margin:.6em 0;font-size:14px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}")
                .append("th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}.links a{margin-right:1.2em}.k{color:#555}")
                .append("</style></head><body><h1>actlab demo</h1><p>")
                .append(Svg.esc("actlab " + report.getOrDefault("actlab", "") + ", " + report.getOrDefault("threads", "?") + " threads; every number is also in "))
                .append("<a href=\"demo.json\">demo.json</a>.</p>");
        int i = 0;
        for (DemoStep s : steps) {
            i++;
            if (!(report.get(s.name()) instanceof Map<?, ?> section)) continue;
            h.append("<h2 id=\"").append(Svg.esc(s.name())).append("\">").append(i).append(". ").append(Svg.esc(s.title())).append("</h2>");
            links(h, dir, section);
            scalars(h, section);
            tables(h, section);
        }
        h.append("</body></html>\n");
        Path file = dir.resolve(FILE);
        AtomicFile.writeString(file, h.toString());
        return file;
    }

    /** Every value that names a file inside the report folder becomes a link; HTML reports first. */
    private static void links(StringBuilder h, Path dir, Map<?, ?> section) {
        StringBuilder l = new StringBuilder();
        for (boolean html : new boolean[]{true, false})
            for (var e : section.entrySet()) {
                if (!(e.getValue() instanceof String v) || v.length() > 400) continue;
                Path p;
                try { p = Path.of(v); } catch (RuntimeException ex) { continue; }
                Path abs = p.toAbsolutePath().normalize(), root = dir.toAbsolutePath().normalize();
                if (!abs.startsWith(root) || !Files.isRegularFile(abs) || v.endsWith(".html") != html) continue;
                String rel = root.relativize(abs).toString().replace('\\', '/');
                l.append("<a href=\"").append(Svg.esc(rel)).append("\">").append(Svg.esc(rel)).append("</a>");
            }
        if (!l.isEmpty()) h.append("<p class=\"links\">").append(l).append("</p>");
    }

    /** Numbers, booleans and short strings, and one level of nested records of them (a.b). */
    private static void scalars(StringBuilder h, Map<?, ?> section) {
        StringBuilder rows = new StringBuilder();
        for (var e : section.entrySet()) {
            String k = String.valueOf(e.getKey());
            if (k.endsWith("_html") || k.endsWith("_json")) continue;
            if (scalar(e.getValue())) row(rows, k, e.getValue());
            else if (e.getValue() instanceof Map<?, ?> m)
                for (var f : m.entrySet()) if (scalar(f.getValue())) row(rows, k + "." + f.getKey(), f.getValue());
        }
        if (!rows.isEmpty()) h.append("<table>").append(rows).append("</table>");
    }

    private static void row(StringBuilder rows, String k, Object v) {
        rows.append("<tr><td class=\"k\">").append(Svg.esc(k)).append("</td><td").append(v instanceof Number ? " class=\"n\">" : ">")
                .append(Svg.esc(format(v))).append("</td></tr>");
    }

    /** Lists of records as tables; a square list of number lists as a matrix. */
    private static void tables(StringBuilder h, Map<?, ?> section) {
        for (var e : section.entrySet()) {
            if (!(e.getValue() instanceof List<?> list) || list.isEmpty()) continue;
            String k = String.valueOf(e.getKey());
            if (list.get(0) instanceof Map<?, ?> first) {
                List<?> cols = first.keySet().stream().filter(c -> scalar(first.get(c))).toList();
                if (cols.isEmpty()) continue;
                h.append("<table><caption class=\"k\">").append(Svg.esc(k)).append("</caption><tr>");
                for (Object c : cols) h.append("<th>").append(Svg.esc(String.valueOf(c))).append("</th>");
                h.append("</tr>");
                for (Object r : list.subList(0, Math.min(MAX_ROWS, list.size()))) {
                    if (!(r instanceof Map<?, ?> m)) continue;
                    h.append("<tr>");
                    for (Object c : cols) {
                        Object v = m.get(c);
                        h.append("<td").append(v instanceof Number ? " class=\"n\">" : ">").append(Svg.esc(v == null ? "" : format(v))).append("</td>");
                    }
                    h.append("</tr>");
                }
                h.append("</table>");
                if (list.size() > MAX_ROWS) h.append("<p class=\"k\">(").append(list.size() - MAX_ROWS).append(" more rows in demo.json)</p>");
            } else if (list.get(0) instanceof List<?> && list.size() <= MAX_ROWS && list.stream().allMatch(r -> r instanceof List<?> l && l.size() == list.size())) {
                List<?> labels = section.values().stream().filter(v -> v instanceof List<?> l && l.size() == list.size() && l.get(0) instanceof String)
                        .map(v -> (List<?>) v).findFirst().orElse(null);
                h.append("<table><caption class=\"k\">").append(Svg.esc(k)).append("</caption><tr><th></th>");
                for (int j = 0; j < list.size(); j++) h.append("<th>").append(j + 1).append("</th>");
                h.append("</tr>");
                for (int r = 0; r < list.size(); r++) {
                    h.append("<tr><th>").append(r + 1).append(labels != null ? ". " + Svg.esc(DemoCommand.clip(String.valueOf(labels.get(r)), 48)) : "").append("</th>");
                    for (Object v : (List<?>) list.get(r)) h.append("<td class=\"n\">").append(Svg.esc(format(v))).append("</td>");
                    h.append("</tr>");
                }
                h.append("</table>");
            }
        }
    }

    private static boolean scalar(Object v) {
        return v instanceof Number || v instanceof Boolean || (v instanceof String s && s.length() <= 200);
    }

    private static String format(Object v) {
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) return String.valueOf(d);
            double a = Math.abs(d);
            return a != 0 && (a < 1e-3 || a >= 1e6) ? String.format(Locale.ROOT, "%.3g", d) : String.format(Locale.ROOT, "%.3f", d).replaceAll("\\.?0+$", "");
        }
        if (v instanceof float[] f) return java.util.Arrays.toString(f);
        return String.valueOf(v);
    }
}
