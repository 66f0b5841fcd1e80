package dev.actlab.quant;

import dev.actlab.io.Progress;
import dev.actlab.model.eval.PairedPerplexity;
import dev.actlab.model.eval.QuantErrorParts;
import dev.actlab.model.eval.QuantizationStats;
import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufLlamaWriter;
import dev.actlab.model.gguf.GgufValue;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What {@code actlab quantize} does, without the command line: apply a recipe to a copy of a
 * decoder, evaluate it against the float model, and optionally write it as GGUF.
 */
public final class QuantizeRun {
    private QuantizeRun() {}

    /** One quantized model measured against its float base. */
    public record Result(String recipe, List<String> steps, String bits, double weightBitsPerValue,
                         QuantizationStats stats, double quantizeSeconds) {
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("recipe", recipe);
            m.put("steps", steps);
            m.put("bits", bits);
            m.put("weight_bits_per_value", weightBitsPerValue);
            m.put("quantize_seconds", quantizeSeconds);
            m.putAll(stats.toJson());
            return m;
        }
    }

    /** A quantized copy of the base (the base is not changed); progress gets each step's label. */
    public static QuantModel quantize(LlamaModel base, Recipe recipe, Calibration calib, Function<String, Progress> progress) {
        if (recipe.calibrates() && calib == null) throw new IllegalArgumentException("recipe " + recipe.text() + " calibrates: give calibration text");
        QuantModel q = QuantModel.of(base);
        recipe.apply(q, calib, i -> progress.apply(recipe.steps().get(i).describe()));
        return q;
    }

    /** Average storage bits per weight of the seven projections of every block (32 where still float). */
    public static double weightBits(QuantModel q) {
        LlamaConfig c = q.config();
        double bits = 0, n = 0;
        for (int l = 0; l < q.layers(); l++)
            for (Linear lin : Linear.values()) {
                double count = (double) lin.rows(c) * lin.cols(c);
                Quantizer wq = q.weightQuantizer(l, lin);
                bits += count * (wq == null ? 32 : wq.bitsPerValue(lin.cols(c)));
                n += count;
            }
        return bits / n;
    }

    /** Quantizes with each recipe and evaluates all of them against the base on the same windows (the base runs once per window). */
    public static List<Result> run(LlamaModel base, List<Recipe> recipes, Calibration calib, int[][] evalWindows,
                                   Function<String, Progress> progress) {
        List<LlamaModel> models = new ArrayList<>();
        List<QuantModel> quantized = new ArrayList<>();
        List<Double> seconds = new ArrayList<>();
        for (Recipe r : recipes) {
            long t0 = System.nanoTime();
            QuantModel q = quantize(base, r, calib, progress);
            seconds.add((System.nanoTime() - t0) / 1e9);
            quantized.add(q);
            models.add(q.build());
        }
        List<QuantizationStats> stats = PairedPerplexity.run(base, models, evalWindows, progress.apply("evaluate"));
        List<Result> out = new ArrayList<>();
        for (int i = 0; i < recipes.size(); i++)
            out.add(new Result(recipes.get(i).text(), quantized.get(i).steps(), recipes.get(i).bitsLabel(), weightBits(quantized.get(i)),
                    stats.get(i), seconds.get(i)));
        return out;
    }

    /**
     * Writes the quantized weights as GGUF (matrices as type: F32 keeps the fake-quantized values exactly).
     * Only for recipes that leave nothing to do at run time: activation quantization and online
     * rotations are not something a GGUF file (or llama.cpp) can hold. Tokenizer metadata is copied
     * from a GGUF base.
     */
    public static void writeGguf(QuantModel q, Path baseFile, Path out, DType type, Progress progress) throws IOException {
        for (int l = 0; l < q.layers(); l++)
            for (Linear lin : Linear.values())
                if (!q.input(l, lin).isIdentity())
                    throw new IllegalArgumentException("--out: " + lin.nameAt(l) + " transforms its input at run time (" + q.input(l, lin)
                            + "), which a GGUF file cannot hold; write weight-only recipes (e.g. gptq(w4,g128), or hadamard(online=false)+gptq(w4))");
        String name = q.source() == null ? "model" : Path.of(q.source()).getFileName().toString();
        GgufWriter w = GgufLlamaWriter.export(q.build(), type, name);
        if (baseFile != null && Files.isRegularFile(baseFile) && isGguf(baseFile)) {
            GgufFile src = GgufFile.open(baseFile);
            for (Map.Entry<String, GgufValue> e : src.entries().entrySet())
                if (e.getKey().startsWith("tokenizer.")) w.put(e.getKey(), e.getValue());
        }
        w.put("actlab.quantization.recipe", GgufValue.string(String.join(" + ", q.steps())));
        w.write(out, progress);
    }

    private static boolean isGguf(Path p) throws IOException {
        try (var in = Files.newInputStream(p)) {
            byte[] b = in.readNBytes(4);
            return b.length == 4 && b[0] == 'G' && b[1] == 'G' && b[2] == 'U' && b[3] == 'F';
        }
    }

    /**
     * The recipe's error split into its weight and activation parts, in total and per layer
     * ({@link QuantErrorParts}, keys "0", "1", ...). The full-precision model is the recipe's own float
     * model: every projection's weights as they were just before they were first rounded, no activation
     * quantization (so after exact rewrites - rotations, smoothing scales - it is the base model up to
     * float rounding, and after a lossy float step such as lowrank it is the cut model: that step's own
     * error is in the perplexity against the base, not in the parts). "Weights only" is the quantized model
     * with its activation quantizers taken out; "activations only" puts back the float weights (in the same
     * rotated / scaled basis). All 4 + 2 x layers variants are evaluated in one pass beside the base model.
     */
    public static QuantErrorParts errorParts(LlamaModel base, QuantModel q, int[][] windows, Progress progress) {
        int L = q.layers();
        List<LlamaModel> variants = new ArrayList<>();
        variants.add(activationsOnly(q, L).build());                      // float weights, no activation quantizer
        variants.add(weightsOnly(q, -1).build());
        variants.add(activationsOnly(q, -1).build());
        variants.add(q.build());
        for (int l = 0; l < L; l++) variants.add(weightsOnly(q, l).build());
        for (int l = 0; l < L; l++) variants.add(activationsOnly(q, l).build());
        List<QuantizationStats> s = PairedPerplexity.run(base, variants, windows, progress);
        Map<String, Double> w = new LinkedHashMap<>(), a = new LinkedHashMap<>();
        for (int l = 0; l < L; l++) {
            w.put(Integer.toString(l), Math.log(s.get(4 + l).perplexity()));
            a.put(Integer.toString(l), Math.log(s.get(4 + L + l).perplexity()));
        }
        return new QuantErrorParts(0, 0, windows.length, Math.log(s.get(0).perplexity()), Math.log(s.get(1).perplexity()),
                Math.log(s.get(2).perplexity()), Math.log(s.get(3).perplexity()), w, a);
    }

    /** Rounded weights (all, or only layer `only` when >= 0), no activation quantization. */
    static QuantModel weightsOnly(QuantModel q, int only) {
        QuantModel v = q.copy();
        for (int l = 0; l < v.layers(); l++)
            for (Linear lin : Linear.values()) {
                v.setInput(l, lin, v.input(l, lin).withQuantizer(null));
                if (only >= 0 && l != only) v.restoreFloatWeight(l, lin);
            }
        return v;
    }

    /** Float weights, activation quantization everywhere (or only in layer `only` when >= 0; none when `only` is past the last layer). */
    static QuantModel activationsOnly(QuantModel q, int only) {
        QuantModel v = q.copy();
        for (int l = 0; l < v.layers(); l++)
            for (Linear lin : Linear.values()) {
                v.restoreFloatWeight(l, lin);
                if (only >= 0 && l != only) v.setInput(l, lin, v.input(l, lin).withQuantizer(null));
            }
        return v;
    }
}
