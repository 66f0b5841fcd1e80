package dev.actlab.quant;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Methods x bit widths: each method is a recipe template with {w} and {a} standing for the weight and
 * activation arguments (w4 or w4,g128; a8, or a16 for float activations), each bit setting a
 * "WxAy" label. Every combination is quantized, then all are evaluated against the float model on
 * the same windows in one pass.
 */
public final class QuantSweep {
    private QuantSweep() {}

    /** The default methods: round to nearest, clip search, SmoothQuant, AWQ, GPTQ, QuaRot with RTN and with GPTQ. */
    public static final Map<String, String> METHODS = defaults();

    public static final List<String> BITS = List.of("W8A8", "W4A8", "W4A4", "W4A16");

    private static Map<String, String> defaults() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("rtn", "rtn({w},{a})");
        m.put("clip", "clip({w},{a})");
        m.put("smoothquant", "smoothquant(alpha=0.5)+rtn({w},{a})");
        m.put("awq", "awq({w},{a})");
        m.put("gptq", "gptq({w},{a})");
        m.put("hadamard", "hadamard+rtn({w},{a})");
        m.put("hadamard+gptq", "hadamard+gptq({w},{a})");
        return java.util.Collections.unmodifiableMap(m);
    }

    /** A sweep's results: cells[method][bits]. */
    public record Table(List<String> methods, List<String> bits, List<String> templates, QuantizeRun.Result[][] cells) {
        public double basePerplexity() { return cells[0][0].stats().basePerplexity(); }

        public Map<String, Object> toJson() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("base_perplexity", basePerplexity());
            j.put("methods", methods);
            j.put("templates", templates);
            j.put("bits", bits);
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int i = 0; i < methods.size(); i++)
                for (int k = 0; k < bits.size(); k++) {
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("method", methods.get(i));
                    r.put("setting", bits.get(k));
                    r.putAll(cells[i][k].toJson());
                    rows.add(r);
                }
            j.put("results", rows);
            return j;
        }

        /** Two text tables: perplexity (with its ratio to FP32) and mean KLD. */
        public String text() {
            StringBuilder b = new StringBuilder();
            int w = Math.max(14, methods.stream().mapToInt(String::length).max().orElse(0) + 2);
            b.append(String.format(Locale.ROOT, "%-" + w + "s", "perplexity")).append(String.format(Locale.ROOT, "(FP32 %.3f)%n", basePerplexity()));
            b.append(String.format(Locale.ROOT, "%-" + w + "s", "method"));
            for (String s : bits) b.append(String.format(Locale.ROOT, "%18s", s));
            b.append('\n');
            for (int i = 0; i < methods.size(); i++) {
                b.append(String.format(Locale.ROOT, "%-" + w + "s", methods.get(i)));
                for (int k = 0; k < bits.size(); k++) {
                    var s = cells[i][k].stats();
                    b.append(String.format(Locale.ROOT, "%18s", fmt(s.perplexity()) + " (" + String.format(Locale.ROOT, "%.3fx", s.perplexity() / s.basePerplexity()) + ")"));
                }
                b.append('\n');
            }
            b.append(String.format(Locale.ROOT, "%nmean KLD vs FP32 (nats/token)%n"));
            b.append(String.format(Locale.ROOT, "%-" + w + "s", "method"));
            for (String s : bits) b.append(String.format(Locale.ROOT, "%18s", s));
            b.append('\n');
            for (int i = 0; i < methods.size(); i++) {
                b.append(String.format(Locale.ROOT, "%-" + w + "s", methods.get(i)));
                for (int k = 0; k < bits.size(); k++) b.append(String.format(Locale.ROOT, "%18.5f", cells[i][k].stats().meanKld()));
                b.append('\n');
            }
            return b.toString();
        }

        private static String fmt(double ppl) { return ppl >= 1e4 ? String.format(Locale.ROOT, "%.3g", ppl) : String.format(Locale.ROOT, "%.2f", ppl); }
    }

    private static final Pattern SETTING = Pattern.compile("W(\\d+)A(\\d+)");

    /** The recipe of a method template at one bit setting; group > 0 adds weight groups. */
    public static String recipe(String template, String setting, int group) {
        Matcher m = SETTING.matcher(setting.toUpperCase(Locale.ROOT));
        if (!m.matches()) throw new IllegalArgumentException("bit setting '" + setting + "' is not of the form W4A8");
        if (!template.contains("{w}") || !template.contains("{a}"))
            throw new IllegalArgumentException("method template '" + template + "' needs both {w} and {a} (e.g. gptq({w},{a}))");
        String w = "w" + m.group(1) + (group > 0 ? ",g" + group : "");
        return template.replace("{w}", w).replace("{a}", "a" + m.group(2));
    }

    public static Table run(LlamaModel base, Map<String, String> methods, List<String> bits, int group, Calibration calib, int[][] windows,
                            Function<String, Progress> progress) {
        List<Recipe> recipes = new ArrayList<>();
        for (String t : methods.values()) for (String s : bits) recipes.add(Recipe.parse(recipe(t, s, group)));
        List<QuantizeRun.Result> all = QuantizeRun.run(base, recipes, calib, windows, progress);
        QuantizeRun.Result[][] cells = new QuantizeRun.Result[methods.size()][bits.size()];
        for (int i = 0; i < methods.size(); i++) for (int k = 0; k < bits.size(); k++) cells[i][k] = all.get(i * bits.size() + k);
        return new Table(List.copyOf(methods.keySet()), List.copyOf(bits), List.copyOf(methods.values()), cells);
    }
}
