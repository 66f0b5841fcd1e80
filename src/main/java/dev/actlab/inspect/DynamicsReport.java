package dev.actlab.inspect;

import dev.actlab.io.AtomicFile;
import static dev.actlab.io.chart.Svg.esc;
import static dev.actlab.io.chart.Svg.num;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.actlab.io.chart.ColorScale;
import dev.actlab.io.chart.LineChart;
import dev.actlab.io.FormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Massive-activation dynamics of a training run (the DIR/dynamics.jsonl that `actlab train`
 * appends at every checkpoint): dynamics.json (the checkpoints as one array, with the summary)
 * and dynamics.html (self-contained: max |x|, kurtosis and massive count per layer against the
 * step, and the top channel per layer and checkpoint).
 */
public final class DynamicsReport {
    public static final String JSONL = "dynamics.jsonl", JSON = "dynamics.json", HTML = "dynamics.html";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** One checkpoint's line; layers[l] holds that layer's fields. */
    public record Checkpoint(long step, long tokens, float massiveAbs, float massiveRatio, List<JsonNode> layers) {}

    private final List<Checkpoint> points;
    private final int layers;

    private DynamicsReport(List<Checkpoint> points) {
        this.points = points;
        this.layers = points.getFirst().layers().size();
    }

    public List<Checkpoint> points() { return points; }

    /** Reads DIR/dynamics.jsonl; a later line for a step already seen (a resumed run) replaces the earlier one. */
    public static DynamicsReport read(Path dir) throws IOException {
        Path file = dir.resolve(JSONL);
        if (!Files.isRegularFile(file))
            throw new IllegalArgumentException(dir + " has no " + JSONL + ": it is written by `actlab train --out " + dir + "` at every checkpoint");
        Map<Long, Checkpoint> bySteps = new java.util.TreeMap<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        long offset = 0;
        int layerCount = -1;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (!line.isBlank()) {
                JsonNode n;
                try { n = MAPPER.readTree(line); }
                catch (com.fasterxml.jackson.core.JsonProcessingException e) { throw new FormatException(file, "line " + (i + 1), offset, "is not JSON: " + e.getOriginalMessage()); }
                JsonNode ls = n.path("layers");
                if (!n.has("step") || !ls.isArray() || ls.isEmpty()) throw new FormatException(file, "line " + (i + 1), offset, "has no step or no layers");
                if (layerCount >= 0 && ls.size() != layerCount)
                    throw new FormatException(file, "line " + (i + 1) + ".layers", offset, "has " + ls.size() + " layers, earlier lines " + layerCount);
                layerCount = ls.size();
                List<JsonNode> layerNodes = new ArrayList<>();
                ls.forEach(layerNodes::add);
                long step = n.get("step").asLong();
                bySteps.put(step, new Checkpoint(step, n.path("tokens").asLong(), (float) n.path("massive_abs").asDouble(100),
                        (float) n.path("massive_ratio").asDouble(1000), layerNodes));
            }
            offset += line.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        if (bySteps.isEmpty()) throw new FormatException(file, "lines", 0, "holds no checkpoints");
        return new DynamicsReport(new ArrayList<>(bySteps.values()));
    }

    /** layer l's field at every checkpoint, NaN where absent. */
    public double[] series(int l, String field) {
        double[] v = new double[points.size()];
        for (int i = 0; i < v.length; i++) {
            JsonNode f = points.get(i).layers().get(l).get(field);
            v[i] = f == null ? Double.NaN : f.asDouble(Double.NaN);
        }
        return v;
    }

    private List<String> stepLabels() { return points.stream().map(p -> Long.toString(p.step())).toList(); }

    /** The text summary: when max |x| first crossed the absolute threshold and the ratio to the median, and in which channel. */
    public List<String> summary() {
        List<String> out = new ArrayList<>();
        Checkpoint first = points.getFirst(), last = points.getLast();
        float abs = last.massiveAbs(), ratio = last.massiveRatio();
        out.add(String.format(Locale.ROOT, "%d checkpoints, steps %d..%d (%,d tokens), %d layers", points.size(), first.step(), last.step(), last.tokens(), layers));
        int worst = 0;
        for (int l = 1; l < layers; l++) if (last.layers().get(l).path("max_abs").asDouble() > last.layers().get(worst).path("max_abs").asDouble()) worst = l;
        JsonNode w = last.layers().get(worst);
        out.add(String.format(Locale.ROOT, "at step %d: largest max|x| %s in layer %d, channel %d, token %s (median |x| %s, ratio %s); massive count %d",
                last.step(), num(w.path("max_abs").asDouble()), worst, w.path("max_channel").asInt(), w.path("max_token").asText(),
                num(w.path("median_abs").asDouble()), num(w.path("max_abs").asDouble() / w.path("median_abs").asDouble()), massiveTotal(last)));
        for (int l = 0; l < layers; l++) {
            double[] m = series(l, "max_abs"), med = series(l, "median_abs");
            int i0 = firstIndex(m, med, abs, 0), i1 = firstIndex(m, med, 0, ratio);
            double start = m[0], end = m[m.length - 1];
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "layer %d: max|x| %s -> %s (x%s), top channel %d -> %d",
                    l, num(start), num(end), num(end / start), first.layers().get(l).path("top_channel").asInt(), last.layers().get(l).path("top_channel").asInt()));
            b.append(i0 < 0 ? String.format(Locale.ROOT, "; never above %s", num(abs))
                    : String.format(Locale.ROOT, "; first above %s at step %d (channel %d)", num(abs), points.get(i0).step(), points.get(i0).layers().get(l).path("max_channel").asInt()));
            b.append(i1 < 0 ? String.format(Locale.ROOT, "; never %sx its median", num(ratio))
                    : String.format(Locale.ROOT, "; first %sx its median at step %d (channel %d)", num(ratio), points.get(i1).step(), points.get(i1).layers().get(l).path("max_channel").asInt()));
            out.add(b.toString());
        }
        return out;
    }

    private static int firstIndex(double[] max, double[] median, double abs, double ratio) {
        for (int i = 0; i < max.length; i++) if (max[i] > abs && max[i] > ratio * median[i]) return i;
        return -1;
    }

    private static long massiveTotal(Checkpoint c) {
        long n = 0;
        for (JsonNode l : c.layers()) n += l.path("massive_count").asLong();
        return n;
    }

    /** Writes dynamics.json and dynamics.html into dir (temporary files moved into place). */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("summary", summary());
        j.put("checkpoints", points.stream().map(p -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("step", p.step()); m.put("tokens", p.tokens()); m.put("layers", p.layers());
            return m;
        }).toList());
        AtomicFile.writeString(dir.resolve(JSON), MAPPER.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(j));
        AtomicFile.writeString(dir.resolve(HTML), html());
    }

    public String html() {
        List<String> steps = stepLabels();
        StringBuilder h = new StringBuilder(1 << 15);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>actlab \u2013 massive-activation dynamics</title>\n<style>")
                .append(HtmlReport.css()).append("</style></head><body>\n<h1>Massive-activation dynamics</h1>\n<div class=\"meta\">")
                .append("residual stream after each block (blocks.L.hook_resid_post) on a fixed held-out probe, at every checkpoint; massive: |x| &gt; ")
                .append(esc(num(points.getLast().massiveAbs()))).append(" and &gt; ").append(esc(num(points.getLast().massiveRatio())))
                .append(" x the median |x| of its hidden state (Sun et al. 2024)</div>\n<h2>Summary</h2>\n<ul class=\"findings\">");
        for (String line : summary()) h.append("<li>").append(esc(line)).append("</li>");
        h.append("</ul>\n<h2>Per layer against the step</h2>\n<div class=\"row\">");
        LineChart max = new LineChart("max |x| per layer", "step", "max |x|", steps, true);
        LineChart kurt = new LineChart("excess kurtosis per layer", "step", "excess kurtosis", steps, false);
        LineChart ratio = new LineChart("max |x| / median |x| per layer", "step", "ratio", steps, true);
        boolean anyMassive = points.stream().anyMatch(p -> massiveTotal(p) > 0);
        LineChart massive = new LineChart(anyMassive ? "massive activations per layer" : "massive activations per layer (none at any checkpoint)",
                "step", "count", steps, false);
        for (int l = 0; l < layers; l++) {
            double[] m = series(l, "max_abs"), med = series(l, "median_abs"), r = new double[m.length];
            for (int i = 0; i < m.length; i++) r[i] = m[i] / med[i];
            max.add("layer " + l, m);
            kurt.add("layer " + l, series(l, "kurtosis"));
            ratio.add("layer " + l, r);
            massive.add("layer " + l, series(l, "massive_count"));
        }
        for (LineChart c : List.of(max, kurt, ratio, massive)) h.append(c.svg(660, 340));
        h.append("</div>\n");
        topChannelTable(h);
        h.append("</body></html>\n");
        return h.toString();
    }

    /** Layer x checkpoint: the top channel by max |x|, coloured by that max |x| (log scale). */
    private void topChannelTable(StringBuilder h) {
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (int l = 0; l < layers; l++) for (double v : series(l, "max_abs")) if (v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        if (!(hi > lo)) hi = lo * 10;
        ColorScale scale = new ColorScale(lo, hi, true);
        h.append("<h2>Top channel per layer and checkpoint</h2>\n<div class=\"rule\">the channel holding the layer's max |x| (its token in the tooltip); colour: that max |x|</div>\n")
                .append("<div class=\"scroll\"><table class=\"topchannels\"><tr><th class=\"l\">layer \\ step</th>");
        for (Checkpoint p : points) h.append("<th>").append(p.step()).append("</th>");
        h.append("</tr>\n");
        for (int l = 0; l < layers; l++) {
            h.append("<tr><td class=\"l\">").append(l).append("</td>");
            for (Checkpoint p : points) {
                JsonNode n = p.layers().get(l);
                double v = n.path("max_abs").asDouble();
                h.append("<td class=\"lens\" style=\"background:").append(scale.color(v)).append(";color:").append(scale.textColor(v)).append("\" title=\"")
                        .append(esc(String.format(Locale.ROOT, "layer %d, step %d: max|x| %s at channel %d, token %s (sequence %d, position %d)", l, p.step(),
                                num(v), n.path("max_channel").asInt(), n.path("max_token").asText(), n.path("max_sequence").asInt(), n.path("max_position").asInt())))
                        .append("\">").append(n.path("top_channel").asInt()).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table></div>\n");
    }
}
