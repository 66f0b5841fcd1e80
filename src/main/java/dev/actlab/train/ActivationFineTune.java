package dev.actlab.train;

import dev.actlab.io.AtomicFile;
import dev.actlab.io.Json;
import dev.actlab.io.chart.LineChart;
import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufLlamaWriter;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.MlpSpec;
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
 * ReLUfication and its kin (`actlab train --from M.gguf --activation relu --act-l1 L --act-l1-schedule sine`):
 * continued training of an existing decoder whose MLP activation is swapped (e.g. SwiGLU's silu
 * gate becomes relu, as in ProSparse, Song et al. 2024), with the activation L1 penalty. Every
 * --eval-every steps, and before the first, the held-out loss and the fraction of exact zeros of
 * the MLP activations per layer on --eval-batches held-out batches: DIR/relufication.json, a
 * chart in DIR/relufication.html, and DIR/model.gguf with the source's tokenizer.
 */
public final class ActivationFineTune {
    /** One curve point: step, tokens seen, held-out loss, exact zeros per layer and their mean, the L1 weight then. */
    public record Point(long step, long tokens, double heldOutLoss, double[] zeros, float actL1) {
        double meanZeros() { return java.util.Arrays.stream(zeros).average().orElse(0); }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("step", step);
            m.put("tokens", tokens);
            m.put("heldout_loss", heldOutLoss);
            m.put("heldout_perplexity", Math.exp(heldOutLoss));
            m.put("exact_zeros", meanZeros());
            m.put("exact_zeros_per_layer", zeros);
            m.put("act_l1", actL1);
            return m;
        }
    }

    private ActivationFineTune() {}

    public static Map<String, Object> run(Path from, MlpSpec mlp, byte[] text, Path out, TrainSettings proto, long tokens,
                                          int logEvery, int evalEvery, int evalBatches, String name, PrintStream err) throws Exception {
        GgufFile src = GgufFile.open(from);   // its tokenizer goes into the result
        LlamaModel base = ModelLoader.loadDecoder(from);
        Tokenizer tok = base.tokenizer();
        if (tok == null) throw new IllegalArgumentException(from + " has no tokenizer: --from needs a model with its tokenizer (GGUF)");
        String all = new String(text, StandardCharsets.UTF_8);
        int cut = TokenStream.heldOutStart(all);
        TokenStream data = TokenStream.ofText(tok, all.substring(0, cut), all.substring(cut));
        TrainModel model = TrainModel.from(base, mlp);
        long perStep = proto.tokensPerStep();
        int steps = (int) Math.min(Integer.MAX_VALUE, (tokens + perStep - 1) / perStep);
        TrainSettings s = new TrainSettings(proto.batch(), proto.seqLen(), proto.accumulation(), proto.maxLr(), proto.minLr(),
                Math.min(proto.warmupSteps(), steps / 2), steps, proto.weightDecay(), proto.gradClip(), proto.seed(), proto.actL1(), proto.actL1Schedule());
        Trainer t = Trainer.fineTune(model, s, data);
        err.printf("fine-tuning %s (%s MLP) as %s MLP: %d steps of %d x %d x %d tokens, lr %.2g -> %.2g, activation L1 %.3g (%s); curve every %d steps on %d held-out batches%n",
                from, base.config().mlp().describe(), mlp.describe(), steps, s.batch(), s.seqLen(), s.accumulation(), s.maxLr(), s.minLr(),
                s.actL1(), s.actL1Schedule(), evalEvery, evalBatches);
        List<Point> curve = new ArrayList<>();
        TrainModel source = TrainModel.from(base);   // the model as it was, to measure before the swap
        double sourceLoss = eval(source, data, s, evalBatches);
        Point before = new Point(0, 0, sourceLoss, source.mlpZeroFractions(), 0);
        err.printf("source model (%s): held-out loss %.4f, perplexity %.2f%n", base.config().mlp().describe(), before.heldOutLoss, Math.exp(before.heldOutLoss));
        curve.add(point(t, model, data, s, evalBatches, err));
        long t0 = System.nanoTime();
        while (!t.done()) {
            Trainer.StepResult r = t.step();
            if (r.step() % logEvery == 0 || t.done())
                err.printf("step %d/%d  loss %.4f  L1 %.4f  lr %.3g  |grad| %.3f  %,.0f tok/s%n", r.step(), steps, r.loss(), model.actL1Penalty(), r.lr(),
                        r.gradNorm(), r.step() * s.tokensPerStep() / ((System.nanoTime() - t0) / 1e9));
            if (r.step() % evalEvery == 0 || t.done()) curve.add(point(t, model, data, s, evalBatches, err));
        }
        Files.createDirectories(out);
        Path gguf = out.resolve("model.gguf");
        GgufWriter w = GgufLlamaWriter.export(model.toLlamaModel(gguf.toString()), DType.F32, name);
        src.entries().forEach((k, v) -> { if (k.startsWith("tokenizer.")) w.put(k, v); });
        w.write(gguf);
        Path html = out.resolve("relufication.html");
        AtomicFile.writeString(html, html(from, base.config().mlp(), mlp, s, before, curve));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("from", from.toString());
        r.put("source_mlp", base.config().mlp().describe());
        r.put("mlp", mlp.describe());
        r.put("steps", steps);
        r.put("tokens", steps * s.tokensPerStep());
        r.put("lr", s.maxLr());
        r.put("act_l1", s.actL1());
        r.put("act_l1_schedule", s.actL1Schedule());
        r.put("eval_batches", evalBatches);
        r.put("source", before.toJson());
        r.put("curve", curve.stream().map(Point::toJson).toList());
        r.put("curve_html", html.toString());
        r.put("gguf", gguf.toString());
        AtomicFile.writeString(out.resolve("relufication.json"), Json.write(r) + "\n");
        return r;
    }

    private static Point point(Trainer t, TrainModel m, TokenStream data, TrainSettings s, int batches, PrintStream err) {
        double[] zeros = new double[m.config().layers()];
        double loss = 0;
        for (int i = 0; i < batches; i++) {
            TokenStream.Batch b = data.heldOutBatch(i, batches, s.batch(), s.seqLen());
            loss += m.forward(b.inputs(), b.targets(), s.batch(), s.seqLen());
            double[] z = m.mlpZeroFractions();
            for (int l = 0; l < zeros.length; l++) zeros[l] += z[l] / batches;
        }
        Point p = new Point(t.stepsDone(), t.stepsDone() * s.tokensPerStep(), loss / batches, zeros, s.actL1At(Math.max(0, t.stepsDone() - 1)));
        err.printf("step %d  held-out loss %.4f (perplexity %.2f), exact zeros %.2f%%%n", p.step, p.heldOutLoss, Math.exp(p.heldOutLoss), 100 * p.meanZeros());
        return p;
    }

    /** Held-out loss of m as it is, on batches held-out batches. */
    private static double eval(TrainModel m, TokenStream data, TrainSettings s, int batches) {
        double loss = 0;
        for (int i = 0; i < batches; i++) {
            TokenStream.Batch b = data.heldOutBatch(i, batches, s.batch(), s.seqLen());
            loss += m.forward(b.inputs(), b.targets(), s.batch(), s.seqLen());
        }
        return loss / batches;
    }

    private static String html(Path from, MlpSpec source, MlpSpec mlp, TrainSettings s, Point before, List<Point> curve) {
        List<String> steps = curve.stream().map(p -> Long.toString(p.step)).toList();
        LineChart ppl = new LineChart("held-out perplexity", "step", "perplexity", steps, false)
                .add(mlp.describe(), curve.stream().mapToDouble(p -> Math.exp(p.heldOutLoss)).toArray())
                .add("source (" + source.describe() + ")", curve.stream().mapToDouble(p -> Math.exp(before.heldOutLoss)).toArray());
        LineChart zeros = new LineChart("exact zeros of the MLP activations", "step", "fraction of h that is 0", steps, false)
                .add("mean over layers", curve.stream().mapToDouble(Point::meanZeros).toArray());
        for (int l = 0; l < before.zeros.length; l++) {
            int layer = l;
            zeros.add("layer " + l, curve.stream().mapToDouble(p -> p.zeros[layer]).toArray());
        }
        StringBuilder h = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>actlab \u2013 ReLUfication</title>\n<style>")
                .append(dev.actlab.inspect.HtmlReport.css()).append("</style></head><body>\n<h1>Activation swap and continued training</h1>\n<div class=\"meta\"><code>")
                .append(dev.actlab.io.chart.Svg.esc(from.toString())).append("</code>: ").append(source.describe()).append(" \u2192 ").append(mlp.describe())
                .append(String.format(Locale.ROOT, ", lr %.2g, activation L1 %.3g (%s); held-out batches of %d x %d tokens", s.maxLr(), s.actL1(), s.actL1Schedule(), s.batch(), s.seqLen()))
                .append("</div>\n<div class=\"row\">").append(ppl.svg(560, 340)).append(zeros.svg(560, 340)).append("</div>\n<table><tr><th>step</th><th>tokens</th>")
                .append("<th>held-out perplexity</th><th>exact zeros</th><th>L1 weight</th></tr>\n");
        for (Point p : curve)
            h.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%d</td><td>%.3f</td><td>%.2f%%</td><td>%.4g</td></tr>%n", p.step, p.tokens,
                    Math.exp(p.heldOutLoss), 100 * p.meanZeros(), p.actL1));
        return h.append("</table>\n</body></html>\n").toString();
    }
}
