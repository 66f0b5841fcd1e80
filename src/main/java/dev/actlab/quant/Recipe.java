package dev.actlab.quant;

import dev.actlab.io.Progress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * A quantization recipe: steps applied left to right, written as text.
 *
 * <pre>
 * recipe := step ('+' step)*
 * step   := method [ '(' arg (',' arg)* ')' ]
 * arg    := wB | aB | gN | key '=' value | flag
 * </pre>
 * Shorthands: {@code w4} weights to symmetric 4-bit integers ({@code w16}: weights stay float), {@code a8}
 * activations to symmetric 8-bit integers per token ({@code a16}: activations stay float), {@code g128}
 * weight groups of 128 input channels (default: one scale per output channel).
 * Keys: {@code w=FORMAT} / {@code a=FORMAT} any number format (int2..int16, int4-asym, fp8, e5m2, fp4, mxfp4,
 * mxfp8, nf4); {@code g=tensor|row|N}; {@code ag=token|tensor|N} activation scales per token (dynamic),
 * per tensor (static, calibrated) or per group of N features of a token; {@code clip=R} weight clip ratio;
 * {@code aclip=R} activation clip ratio.
 * Methods:
 * <ul>
 * <li>{@code rtn(w.., a..)} round to nearest;
 * <li>{@code clip(w.., grid=20, min=0.5)} round to nearest with the MSE-optimal clip ratio per row or group;
 * <li>{@code smoothquant(alpha=0.5, down, o)} SmoothQuant scales folded into the norms (and up, v);
 * <li>{@code hadamard(seed=0, online=true)} QuaRot rotation of the residual stream, online Hadamard before o and down;
 * <li>{@code gptq(w.., damp=0.01, block=128, actorder=true)} GPTQ;
 * <li>{@code awq(w.., grid=20)} AWQ scale search, then round to nearest;
 * <li>{@code noisyquant(a..)} activations quantized with a fixed uniform noise added before and its product removed after;
 * <li>{@code mixed(budget=4, min=2, max=8, g.., windows=8)} integer bits per layer (from 2, 3, 4, 5, 6, 8 within
 *     [min, max]) by measured sensitivity under an average-bits budget, then round to nearest;
 * <li>{@code lowrank(r=0.5, whiten, damp=0.001)} every block projection cut to the rank that ratio r of its
 *     parameters buys, by plain or activation-whitened (SVD-LLM) SVD; before any quantization step.
 * </ul>
 * Any weight method may also carry a.. / ag / aclip: activation quantization is then set right after it.
 */
public record Recipe(String text, List<QuantStep> steps) {
    public static final List<String> METHODS = List.of("rtn", "clip", "smoothquant", "hadamard", "gptq", "awq", "noisyquant", "mixed", "lowrank");

    public boolean calibrates() { return steps.stream().anyMatch(QuantStep::calibrates); }

    /** Applies every step to the model in order; progress(i) gives the progress of step i. */
    public void apply(QuantModel m, Calibration calib, IntFunction<Progress> progress) {
        for (int i = 0; i < steps.size(); i++) steps.get(i).apply(m, steps.get(i).calibrates() ? calib : null, progress.apply(i));
    }

    /** The weight quantizer of the last step that quantizes weights, or null (weights stay float). */
    public Quantizer weightQuantizer() {
        Quantizer q = null;
        for (QuantStep s : steps) {
            if (s instanceof Rtn r) q = r.quantizer();
            if (s instanceof ClipSearch c) q = c.quantizer();
            if (s instanceof Gptq g) q = g.quantizer();
            if (s instanceof Awq a) q = a.quantizer();
            if (s instanceof MixedPrecision mp) q = mp.quantizer((int) Math.round(mp.budget()));
        }
        return q;
    }

    /** The activation format of the last activation step, or null (activations stay float). */
    public NumberFormat activationFormat() {
        NumberFormat f = null;
        for (QuantStep s : steps) {
            if (s instanceof ActivationQuant a) f = a.format();
            if (s instanceof NoisyQuant n) f = n.format();
        }
        return f;
    }

    /** "W4A8", "W16A4": bits of the weight and activation elements (16 for float). */
    public String bitsLabel() {
        Quantizer w = weightQuantizer();
        NumberFormat a = activationFormat();
        return "W" + (w == null ? 16 : w.format().bits()) + "A" + (a == null ? 16 : a.bits());
    }

    /** Parses a recipe; a {@link RecipeException} names the position of the first problem. */
    public static Recipe parse(String text) {
        if (text == null || text.isBlank()) throw new RecipeException(text == null ? "" : text, 0, "empty recipe (example: hadamard+gptq(w4,g128)+rtn(a4))");
        return new Parser(text).recipe();
    }

    private record Arg(String key, String value, int pos) {}

    private static final class Parser {
        final String s;
        int i;

        Parser(String s) { this.s = s; }

        RecipeException error(int pos, String problem) { return new RecipeException(s, pos, problem); }

        void skipSpace() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

        String word() {
            skipSpace();
            int start = i;
            while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.' || s.charAt(i) == '-' || s.charAt(i) == '_')) i++;
            return s.substring(start, i);
        }

        Recipe recipe() {
            List<QuantStep> steps = new ArrayList<>();
            while (true) {
                skipSpace();
                int at = i;
                String name = word();
                if (name.isEmpty()) throw error(at, i < s.length() ? "expected a method name, found '" + s.charAt(i) + "'" : "expected a method name after '+'");
                List<Arg> args = new ArrayList<>();
                skipSpace();
                if (i < s.length() && s.charAt(i) == '(') {
                    i++;
                    skipSpace();
                    if (i < s.length() && s.charAt(i) == ')') i++;
                    else while (true) {
                        skipSpace();
                        int argAt = i;
                        String key = word();
                        if (key.isEmpty()) throw error(argAt, i < s.length() ? "expected an argument, found '" + s.charAt(i) + "'" : "unclosed '(' of " + name);
                        skipSpace();
                        String value = null;
                        if (i < s.length() && s.charAt(i) == '=') {
                            i++;
                            int valAt = i;
                            value = word();
                            if (value.isEmpty()) throw error(valAt, "expected a value for " + key);
                        }
                        args.add(new Arg(key.toLowerCase(java.util.Locale.ROOT), value, argAt));
                        skipSpace();
                        if (i < s.length() && s.charAt(i) == ',') { i++; continue; }
                        if (i < s.length() && s.charAt(i) == ')') { i++; break; }
                        throw error(i, i < s.length() ? "expected ',' or ')', found '" + s.charAt(i) + "'" : "unclosed '(' of " + name);
                    }
                }
                steps.addAll(step(name.toLowerCase(java.util.Locale.ROOT), at, args));
                skipSpace();
                if (i >= s.length()) break;
                if (s.charAt(i) != '+') throw error(i, "expected '+' between steps, found '" + s.charAt(i) + "'");
                i++;
            }
            return new Recipe(s, List.copyOf(steps));
        }

        /** The settings of one step: shorthands expanded, unknown keys and bad values rejected at their position. */
        final class Settings {
            final Map<String, Arg> args = new LinkedHashMap<>();
            final String method;
            final int at;

            Settings(String method, int at, List<Arg> list, List<String> allowed) {
                this.method = method; this.at = at;
                for (Arg a : list) {
                    Arg e = expand(a);
                    if (!allowed.contains(e.key)) throw error(a.pos, method + " takes no argument '" + a.key + "'" + (allowed.isEmpty() ? "" : " (it takes " + String.join(", ", allowed) + ")"));
                    if (args.containsKey(e.key)) throw error(a.pos, "'" + e.key + "' is given twice");
                    args.put(e.key, e);
                }
            }

            Arg expand(Arg a) {
                var m = java.util.regex.Pattern.compile("([wag])(\\d+)").matcher(a.key);
                if (a.value == null && m.matches()) {
                    String k = m.group(1), n = m.group(2);
                    return new Arg(k, k.equals("g") ? n : "int" + n, a.pos);
                }
                return a;
            }

            boolean has(String k) { return args.containsKey(k); }

            /** A weight or activation format: null for 16-bit (stays float). */
            NumberFormat format(String k) {
                Arg a = args.get(k);
                if (a == null) return null;
                if (a.value == null) throw error(a.pos, "'" + k + "' needs a value");
                if (a.value.equals("int16") || a.value.equals("fp16") || a.value.equals("bf16") || a.value.equals("float")) return null;
                try { return NumberFormat.parse(a.value); }
                catch (IllegalArgumentException e) { throw error(a.pos, e.getMessage()); }
            }

            Granularity weightGranularity() {
                Arg a = args.get("g");
                if (a == null) return Granularity.ROW;
                return switch (a.value == null ? "" : a.value) {
                    case "tensor" -> Granularity.TENSOR;
                    case "row", "channel" -> Granularity.ROW;
                    default -> Granularity.group(positiveInt("g", 1, 1 << 20));
                };
            }

            Granularity activationGranularity() {
                Arg a = args.get("ag");
                if (a == null) return Granularity.ROW;
                return switch (a.value == null ? "" : a.value) {
                    case "tensor" -> Granularity.TENSOR;
                    case "token", "row" -> Granularity.ROW;
                    default -> Granularity.group(positiveInt("ag", 1, 1 << 20));
                };
            }

            int positiveInt(String k, int min, int max) {
                Arg a = args.get(k);
                try {
                    int v = Integer.parseInt(a.value);
                    if (v < min || v > max) throw error(a.pos, k + " must be in [" + min + ", " + max + "], got " + v);
                    return v;
                } catch (NumberFormatException | NullPointerException e) {
                    throw error(a.pos, k + " needs a whole number, got " + (a.value == null ? "nothing" : "'" + a.value + "'"));
                }
            }

            int intOr(String k, int dflt, int min, int max) { return has(k) ? positiveInt(k, min, max) : dflt; }

            long longOr(String k, long dflt) {
                Arg a = args.get(k);
                if (a == null) return dflt;
                try { return Long.parseLong(a.value); }
                catch (NumberFormatException | NullPointerException e) { throw error(a.pos, k + " needs a whole number, got " + (a.value == null ? "nothing" : "'" + a.value + "'")); }
            }

            float floatOr(String k, float dflt, float lo, float hi, boolean openLo) {
                Arg a = args.get(k);
                if (a == null) return dflt;
                try {
                    float v = Float.parseFloat(a.value);
                    if (!(openLo ? v > lo : v >= lo) || !(v <= hi)) throw error(a.pos, k + " must be in " + (openLo ? "(" : "[") + lo + ", " + hi + "], got " + a.value);
                    return v;
                } catch (NumberFormatException | NullPointerException e) {
                    throw error(a.pos, k + " needs a number, got " + (a.value == null ? "nothing" : "'" + a.value + "'"));
                }
            }

            boolean flag(String k, boolean dflt) {
                Arg a = args.get(k);
                if (a == null) return dflt;
                if (a.value == null || a.value.equals("true")) return true;
                if (a.value.equals("false")) return false;
                throw error(a.pos, k + " is true or false, got '" + a.value + "'");
            }

            Quantizer weights(boolean required) {
                NumberFormat f = format("w");
                if (f == null) {
                    if (required) throw error(has("w") ? args.get("w").pos : at, method + " quantizes weights: give w4, w8 or w=FORMAT (below 16 bits)");
                    if (has("g")) throw error(args.get("g").pos, "g sets weight groups, but no weight format is given");
                    return null;
                }
                Granularity g = weightGranularity();
                if (f.block() > 0 && has("g") && !(g.kind() == Granularity.Kind.GROUP && g.size() == f.block()))
                    throw error(args.get("g").pos, f.name() + " has fixed blocks of " + f.block() + ": drop g");
                return new Quantizer(f, g, floatOr("clip", 1f, 0f, 1f, true));
            }

            ActivationQuant activations() {
                NumberFormat f = format("a");
                if (f == null) {
                    for (String k : List.of("ag", "aclip")) if (has(k)) throw error(args.get(k).pos, k + " needs an activation format (a4, a8 or a=FORMAT)");
                    return null;
                }
                Granularity g = activationGranularity();
                if (f.block() > 0 && has("ag") && !(g.kind() == Granularity.Kind.GROUP && g.size() == f.block()))
                    throw error(args.get("ag").pos, f.name() + " has fixed blocks of " + f.block() + ": drop ag");
                return new ActivationQuant(f, g, floatOr("aclip", 1f, 0f, 1f, true));
            }
        }

        static final List<String> W = List.of("w", "g", "clip"), A = List.of("a", "ag", "aclip");

        static List<String> with(List<String> a, List<String> b, String... more) {
            List<String> out = new ArrayList<>(a);
            out.addAll(b);
            out.addAll(List.of(more));
            return out;
        }

        List<QuantStep> step(String name, int at, List<Arg> args) {
            List<QuantStep> out = new ArrayList<>();
            switch (name) {
                case "rtn" -> {
                    Settings st = new Settings(name, at, args, with(W, A));
                    Quantizer w = st.weights(false);
                    ActivationQuant a = st.activations();
                    if (w == null && a == null) throw error(at, "rtn quantizes nothing: give weights (w4, w8, w=FORMAT) and/or activations (a4, a8, a=FORMAT)");
                    if (w != null) out.add(new Rtn(w));
                    if (a != null) out.add(a);
                }
                case "clip" -> {
                    Settings st = new Settings(name, at, args, with(W, A, "grid", "min"));
                    if (st.has("clip")) throw error(st.args.get("clip").pos, "clip searches the clip ratio: give grid and min instead");
                    Quantizer w = st.weights(true);
                    if (w.granularity().kind() == Granularity.Kind.TENSOR) throw error(st.args.get("g").pos, "clip searches per row or group, not per tensor");
                    out.add(new ClipSearch(w, st.intOr("grid", 20, 1, 1000), st.floatOr("min", 0.5f, 0f, 1f, true)));
                    addActivations(out, st);
                }
                case "smoothquant", "sq" -> {
                    Settings st = new Settings(name, at, args, List.of("alpha", "down", "o"));
                    out.add(new SmoothQuant(st.floatOr("alpha", 0.5f, 0f, 1f, false), st.flag("down", false), st.flag("o", false)));
                }
                case "hadamard", "quarot" -> {
                    Settings st = new Settings(name, at, args, List.of("seed", "online"));
                    out.add(new HadamardRotation(st.longOr("seed", 0), st.flag("online", true)));
                }
                case "gptq" -> {
                    Settings st = new Settings(name, at, args, with(W, A, "damp", "block", "actorder"));
                    Quantizer w = st.weights(true);
                    out.add(new Gptq(w, st.intOr("block", 128, 1, 1 << 20), st.floatOr("damp", 0.01f, 0f, 0.999f, true), st.flag("actorder", true)));
                    addActivations(out, st);
                }
                case "awq" -> {
                    Settings st = new Settings(name, at, args, with(W, A, "grid"));
                    out.add(new Awq(st.weights(true), st.intOr("grid", 20, 1, 1000)));
                    addActivations(out, st);
                }
                case "noisyquant" -> {
                    Settings st = new Settings(name, at, args, List.of("a", "seed"));
                    NumberFormat f = st.format("a");
                    if (f == null) throw error(at, "noisyquant quantizes activations: give a4, a8 or a=FORMAT");
                    if (!(f.element() instanceof IntGrid g && g.signed()))
                        throw error(st.args.get("a").pos, "noisyquant needs a symmetric integer format (a uniform step for the noise), not " + f.name());
                    out.add(new NoisyQuant(f, st.longOr("seed", 0)));
                }
                case "mixed" -> {
                    Settings st = new Settings(name, at, args, List.of("budget", "min", "max", "g", "windows"));
                    float budget = st.floatOr("budget", 4f, 1f, 16f, false);
                    int lo = st.intOr("min", 2, 2, 16), hi = st.intOr("max", 8, 2, 16);
                    if (lo > hi) throw error(st.args.get("min").pos, "min " + lo + " is above max " + hi);
                    int[] cands = java.util.stream.IntStream.of(2, 3, 4, 5, 6, 8, 16).filter(b -> b >= lo && b <= hi).toArray();
                    if (cands.length == 0) throw error(at, "no bit width of 2, 3, 4, 5, 6, 8, 16 lies in [" + lo + ", " + hi + "]");
                    if (budget < cands[0]) throw error(st.has("budget") ? st.args.get("budget").pos : at, "budget " + budget + " is below the smallest width " + cands[0]);
                    out.add(new MixedPrecision(budget, cands, st.weightGranularity(), st.intOr("windows", 8, 1, 1 << 16)));
                }
                case "lowrank" -> {
                    Settings st = new Settings(name, at, args, List.of("r", "whiten", "damp"));
                    if (!st.has("r")) throw error(at, "lowrank needs a rank ratio: r=R with R in (0, 1] (the fraction of each matrix's parameters kept)");
                    st.floatOr("r", 1f, 0f, 1f, true);                 // checks the range; the value is read in double below
                    st.floatOr("damp", 0.001f, 0f, 1f, true);
                    double damp = st.has("damp") ? Double.parseDouble(st.args.get("damp").value) : 0.001;
                    out.add(new LowRankStep(Double.parseDouble(st.args.get("r").value), st.flag("whiten", false), damp));
                }
                default -> throw error(at, "unknown method '" + name + "' (methods: " + String.join(", ", METHODS) + ")");
            }
            return out;
        }

        void addActivations(List<QuantStep> out, Settings st) {
            ActivationQuant a = st.activations();
            if (a != null) out.add(a);
        }
    }
}
