package dev.actlab.train;

import dev.actlab.io.AtomicFile;
import dev.actlab.io.Json;
import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufLlamaWriter;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.eval.QuantErrorParts;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.tokenizer.Tokenizer;
import dev.actlab.tensor.DType;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * `actlab train --from MODEL --qat w4a8 ...`: quantization-aware fine-tuning of an existing decoder
 * on the corpus, split into training and held-out text as `train` splits it, tokenized with the
 * model's own tokenizer. Measures on the whole held-out split: the model as loaded (FP32), the
 * same model with the QAT fake quantization applied at evaluation (post-training quantization,
 * PTQ), and after fine-tuning with it (QAT), each split into its weight and activation parts
 * (QuantErrorParts); and at step 0, every `evalEvery` steps and at the end the same split on
 * `evalBatches` held-out batches: the quantization-error curve against training tokens. Writes
 * DIR/qat.json, DIR/qat-curve.html and DIR/model.gguf (the full-precision master weights; the
 * quantization is a property of how they are run).
 */
public final class QatFineTune {
    private QatFineTune() {}

    /** The summary for qat.json and the measured parts, for the table. */
    public record Result(Map<String, Object> json, List<QuantErrorParts> curve, QuantErrorParts ptq, QuantErrorParts qat) {
        /** The table, then the headline perplexities; qatSpec as the user wrote it (w4a8), out the run's directory. */
        public String text(String qatSpec, Path out) {
            return table(this) + String.format("held-out perplexity (%s windows of %s): FP32 %.2f, PTQ %s %.2f, QAT %s %.2f (QAT weights in FP32: %.2f); %s%n",
                    json.get("heldout_windows"), json.get("heldout_tokens_per_window"), json.get("fp32_perplexity"), qatSpec, json.get("ptq_perplexity"),
                    qatSpec, json.get("qat_perplexity"), json.get("qat_weights_fp32_perplexity"), out.resolve("qat.json") + ", " + json.get("curve_html"));
        }
    }

    public static Result run(Path from, QatSettings qat, byte[] text, Path out, TrainSettings proto, long tokens,
                      int logEvery, int evalEvery, int evalBatches, String name, PrintStream err) throws Exception {
        GgufFile src = GgufFile.open(from);   // a GGUF: its tokenizer is exported with the fine-tuned weights
        LlamaModel base = ModelLoader.loadDecoder(from);
        Tokenizer tok = base.tokenizer();
        if (tok == null) throw new IllegalArgumentException(from + " has no tokenizer: --from needs a model with its tokenizer (GGUF)");
        String all = new String(text, StandardCharsets.UTF_8);
        int cut = TokenStream.heldOutStart(all);
        TokenStream data = TokenStream.ofText(tok, all.substring(0, cut), all.substring(cut));
        TrainModel model = TrainModel.from(base);
        long perStep = proto.tokensPerStep();
        int steps = (int) Math.min(Integer.MAX_VALUE, (tokens + perStep - 1) / perStep);
        TrainSettings s = new TrainSettings(proto.batch(), proto.seqLen(), proto.accumulation(), proto.maxLr(), proto.minLr(),
                Math.min(proto.warmupSteps(), steps / 2), steps, proto.weightDecay(), proto.gradClip(), proto.seed());
        Trainer t = Trainer.fineTune(model, s, data);
        int windows = Math.max(1, data.heldOutTokens() / (s.batch() * s.seqLen()));   // the whole held-out split
        err.printf("QAT fine-tuning %s (%,d parameters): %s; %d steps of %d x %d x %d tokens, lr %.2g -> %.2g; held-out %d batches, "
                        + "curve every %d steps on %d batches%n",
                from, model.parameterCount(), qat, steps, s.batch(), s.seqLen(), s.accumulation(), s.maxLr(), s.minLr(), windows, evalEvery, evalBatches);

        QuantErrorParts ptq = errorParts(t, qat, windows, true);
        err.printf("FP32 base: held-out loss %.4f, perplexity %.2f%n", ptq.fp(), Math.exp(ptq.fp()));
        err.printf("PTQ (%s): held-out loss %.4f, perplexity %.2f; weight part %+.4f, activation part %+.4f%n", qat, ptq.both(), Math.exp(ptq.both()),
                ptq.weightPart(), ptq.activationPart());
        model.withQat(qat);

        List<QuantErrorParts> curve = new ArrayList<>();
        long t0 = System.nanoTime(), evalNanos = 0;
        evalNanos += addPoint(curve, t, qat, evalBatches, err);
        float lastLoss = Float.NaN;
        while (!t.done()) {
            Trainer.StepResult r = t.step();
            lastLoss = r.loss();
            if (r.step() % logEvery == 0 || t.done()) {
                double secs = (System.nanoTime() - t0 - evalNanos) / 1e9;
                err.printf("step %d/%d  loss %.4f  lr %.3g  |grad| %.3f  %,.0f tok/s%n", r.step(), steps, r.loss(), r.lr(), r.gradNorm(),
                        r.step() * s.tokensPerStep() / secs);
            }
            if (r.step() % evalEvery == 0 || t.done()) evalNanos += addPoint(curve, t, qat, evalBatches, err);
        }
        double trainSecs = (System.nanoTime() - t0 - evalNanos) / 1e9;
        QuantErrorParts end = errorParts(t, qat, windows, true);
        err.printf("QAT (%s) after %d steps: held-out loss %.4f, perplexity %.2f%n", qat, steps, end.both(), Math.exp(end.both()));
        err.printf("QAT weights run in FP32: held-out loss %.4f, perplexity %.2f%n", end.fp(), Math.exp(end.fp()));

        Files.createDirectories(out);
        Path gguf = out.resolve("model.gguf");
        model.withQat(null);
        GgufWriter w = GgufLlamaWriter.export(model.toLlamaModel(gguf.toString()), DType.F32, name);
        src.entries().forEach((k, v) -> { if (k.startsWith("tokenizer.")) w.put(k, v); });
        w.write(gguf);
        Path html = out.resolve("qat-curve.html");
        QatCurveReport.write(html, QatCurveReport.html(qat.toString(), from.toString(), curve));

        Map<String, Object> r = new LinkedHashMap<>();
        r.put("from", from.toString());
        r.put("weights", qat.weightFormat() == null ? "f32" : qat.weightFormat().name());
        r.put("activations", qat.activationFormat() == null ? "f32" : qat.activationFormat().name());
        r.put("group", qat.group());
        r.put("steps", steps);
        r.put("tokens", steps * s.tokensPerStep());
        r.put("lr", s.maxLr());
        r.put("train_seconds", trainSecs);
        r.put("curve_eval_seconds", evalNanos / 1e9);
        r.put("final_train_loss", lastLoss);
        r.put("heldout_windows", windows * s.batch());
        r.put("heldout_tokens_per_window", s.seqLen());
        r.put("fp32_loss", ptq.fp());
        r.put("fp32_perplexity", Math.exp(ptq.fp()));
        r.put("ptq_loss", ptq.both());
        r.put("ptq_perplexity", Math.exp(ptq.both()));
        r.put("qat_loss", end.both());
        r.put("qat_perplexity", Math.exp(end.both()));
        r.put("qat_weights_fp32_loss", end.fp());
        r.put("qat_weights_fp32_perplexity", Math.exp(end.fp()));
        r.put("decomposition", "weight part = L(weights quantized) - L(fp), activation part = L(activations quantized) - L(fp), "
                + "total = L(both) - L(fp), interaction = total - weight part - activation part; held-out loss of the same weights (Chen et al. 2025, arXiv 2505.14302)");
        r.put("ptq_parts", ptq.toJson());
        r.put("qat_parts", end.toJson());
        r.put("curve_every_steps", evalEvery);
        r.put("curve", curve.stream().map(QuantErrorParts::toJson).toList());
        r.put("curve_html", html.toString());
        r.put("gguf", gguf.toString());
        AtomicFile.writeString(out.resolve("qat.json"), Json.write(r) + "\n");
        return new Result(r, curve, ptq, end);
    }

    /**
     * The trainer's current weights on `batches` held-out batches under `run`, split into the weight and
     * activation parts; with `byInput` also each matmul input's activation part (keyed by {@link MatmulInput#key}).
     * The model's own QAT setting is left as it was.
     */
    public static QuantErrorParts errorParts(Trainer t, QatSettings run, int batches, boolean byInput) {
        float fp = t.heldOutLoss(batches, null);
        float w = t.heldOutLoss(batches, run.weightsOnly());
        float a = t.heldOutLoss(batches, run.activationsOnly());
        float both = t.heldOutLoss(batches, run);
        Map<String, Double> alone = new LinkedHashMap<>();
        if (byInput && run.activationFormat() != null)
            for (MatmulInput in : MatmulInput.values()) if (run.quantizes(in)) alone.put(in.key, (double) t.heldOutLoss(batches, run.activationsOnlyAt(in)));
        return new QuantErrorParts(t.stepsDone(), t.stepsDone() * t.settings().tokensPerStep(), batches * t.settings().batch(),
                fp, w, a, both, Map.of(), alone);
    }

    /** Measures a curve point, reports it on stderr; returns the nanoseconds it took. */
    private static long addPoint(List<QuantErrorParts> curve, Trainer t, QatSettings qat, int batches, PrintStream err) {
        long t0 = System.nanoTime();
        QuantErrorParts p = errorParts(t, qat, batches, true);
        curve.add(p);
        err.printf("step %d  held-out (%d windows): fp %.4f, weight part %+.4f, activation part %+.4f, total %+.4f%n",
                p.step(), p.windows(), p.fp(), p.weightPart(), p.activationPart(), p.total());
        return System.nanoTime() - t0;
    }

    /** The curve and the whole-split measurements as a readable table. */
    private static String table(Result r) {
        List<String> inputs = new ArrayList<>(r.ptq().activationsAlone().keySet());
        StringBuilder b = new StringBuilder();
        b.append("quantization error in held-out loss (nats/token): weight part = L(W) - L(fp), activation part = L(A) - L(fp), total = L(WA) - L(fp)\n");
        b.append(String.format(Locale.ROOT, "%-10s %10s %7s %8s %8s %8s %8s %8s", "step", "tokens", "windows", "L_fp", "weight", "activ.", "total", "interact"));
        for (String in : inputs) b.append(String.format(Locale.ROOT, " %11s", "A@" + in));
        b.append('\n');
        for (QuantErrorParts p : r.curve()) row(b, Long.toString(p.step()), p, inputs);
        row(b, "PTQ (all)", r.ptq(), inputs);
        row(b, "QAT (all)", r.qat(), inputs);
        return b.toString();
    }

    private static void row(StringBuilder b, String label, QuantErrorParts p, List<String> inputs) {
        b.append(String.format(Locale.ROOT, "%-10s %10d %7d %8.4f %8.4f %8.4f %8.4f %8.4f", label, p.tokens(), p.windows(), p.fp(), p.weightPart(),
                p.activationPart(), p.total(), p.interaction()));
        for (String in : inputs) b.append(String.format(Locale.ROOT, " %11.4f", p.activationPart(in)));
        b.append('\n');
    }
}
