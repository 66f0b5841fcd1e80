package dev.actlab.train;

import dev.actlab.io.AtomicFile;
import static dev.actlab.io.chart.Svg.esc;
import static dev.actlab.io.chart.Svg.num;

import dev.actlab.io.chart.LineChart;
import dev.actlab.train.MatmulInput;
import dev.actlab.model.eval.QuantErrorParts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The page of a QAT run's quantization-error curve (DIR/qat-curve.html): the weight part, the
 * activation part, their total and interaction against training tokens, and each matmul
 * input's activation part (two line charts; linear y axes include 0), with the numbers in a table.
 */
public final class QatCurveReport {
    private QatCurveReport() {}

    /** `setting`: the run's quantization, for the title ("weights INT4, activations INT4, group 32"). */
    public static String html(String setting, String model, List<QuantErrorParts> curve) {
        if (curve.isEmpty()) throw new IllegalArgumentException("a QAT curve needs at least one point");
        List<String> tokens = curve.stream().map(p -> tokenLabel(p.tokens())).toList();
        StringBuilder h = new StringBuilder(1 << 15);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>actlab \u2013 QAT quantization error</title>\n<style>")
                .append(dev.actlab.inspect.HtmlReport.css()).append("</style></head><body>\n<h1>QAT quantization error against training tokens</h1>\n<div class=\"meta\">")
                .append("<code>").append(esc(model)).append("</code> \u00b7 ").append(esc(setting)).append(" \u00b7 held-out loss (nats/token) of the master weights at each point, run ")
                .append("unquantized (L<sub>fp</sub>), weights only quantized (L<sub>W</sub>), activations only (L<sub>A</sub>) and both (L<sub>WA</sub>): weight part ")
                .append("L<sub>W</sub> \u2212 L<sub>fp</sub>, activation part L<sub>A</sub> \u2212 L<sub>fp</sub>, total L<sub>WA</sub> \u2212 L<sub>fp</sub>, ")
                .append("interaction = total \u2212 weight part \u2212 activation part (decomposition as in Chen et al. 2025, arXiv 2505.14302)</div>\n<div class=\"row\">");
        LineChart parts = new LineChart("quantization error and its parts", "training tokens", "loss increase (nats/token)", tokens, false)
                .add("total", series(curve, QuantErrorParts::total))
                .add("weight part", series(curve, QuantErrorParts::weightPart))
                .add("activation part", series(curve, QuantErrorParts::activationPart))
                .add("interaction", series(curve, QuantErrorParts::interaction));
        h.append(parts.svg(660, 340));
        List<MatmulInput> inputs = new ArrayList<>();
        for (MatmulInput in : MatmulInput.values()) if (curve.getFirst().activationsAlone().containsKey(in.key)) inputs.add(in);
        if (!inputs.isEmpty()) {
            LineChart byInput = new LineChart("activation part by matmul input", "training tokens", "loss increase (nats/token)", tokens, false);
            for (MatmulInput in : inputs) byInput.add(in.key + " (" + in.buffer + ")", series(curve, p -> p.activationPart(in.key)));
            h.append(byInput.svg(660, 340));
        }
        h.append("</div>\n<h2>Points</h2>\n<table><tr><th>step</th><th>tokens</th><th>windows</th><th>L<sub>fp</sub></th>")
                .append("<th>weight part</th><th>activation part</th><th>total</th><th>interaction</th>");
        for (MatmulInput in : inputs) h.append("<th>act. ").append(esc(in.key)).append("</th>");
        h.append("</tr>\n");
        for (QuantErrorParts p : curve) {
            h.append("<tr><td>").append(p.step()).append("</td><td>").append(String.format(Locale.ROOT, "%,d", p.tokens())).append("</td><td>").append(p.windows())
                    .append("</td><td>").append(f(p.fp())).append("</td><td>").append(f(p.weightPart())).append("</td><td>").append(f(p.activationPart()))
                    .append("</td><td>").append(f(p.total())).append("</td><td>").append(f(p.interaction())).append("</td>");
            for (MatmulInput in : inputs) h.append("<td>").append(f(p.activationPart(in.key))).append("</td>");
            h.append("</tr>\n");
        }
        return h.append("</table>\n</body></html>\n").toString();
    }

    /** Writes the page to `target` through a temporary file in the same directory. */
    public static void write(Path target, String html) throws IOException { AtomicFile.writeString(target, html); }

    private static double[] series(List<QuantErrorParts> curve, ToDoubleFunction<QuantErrorParts> f) {
        return curve.stream().mapToDouble(f).toArray();
    }

    private static String f(double v) { return Double.isNaN(v) ? "\u2013" : String.format(Locale.ROOT, "%.4f", v); }

    /** 614400 -> "614k", 1228800 -> "1.23M". */
    private static String tokenLabel(long t) {
        if (t < 10_000) return Long.toString(t);
        if (t < 1_000_000) return (t + 500) / 1000 + "k";
        return num(t / 1e6) + "M";
    }
}
