package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.eval.PairedPerplexity;
import dev.actlab.model.eval.QuantErrorParts;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.quant.QuantModel;
import dev.actlab.quant.QuantizeRun;
import dev.actlab.quant.Recipe;
import dev.actlab.tensor.DType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "quantize", description = {
        "Post-training quantization of a decoder by a recipe, measured against the float model: perplexity and",
        "llama-perplexity's KL-divergence statistics on the evaluation text.",
        "",
        "Recipe: steps applied left to right, joined by '+': method or method(arg, ...).",
        "  Shorthands: w4 / w8 weights to symmetric int4 / int8 (w16: float), a4 / a8 activations to",
        "  symmetric int4 / int8 per token (a16: float), g128 weight groups of 128 inputs (default: per channel).",
        "  Keys: w=FORMAT, a=FORMAT (int2..int16, int4-asym, fp8 = e4m3, e5m2, fp4 = e2m1, mxfp4, mxfp8, nf4),",
        "  g=tensor|row|N, ag=token|tensor|N (per token dynamic, per tensor static, per group), clip=R, aclip=R.",
        "  Methods:",
        "    rtn(w.., a..)                           round to nearest",
        "    clip(w.., grid=20, min=0.5)              round to nearest, MSE-optimal clip ratio per row/group",
        "    smoothquant(alpha=0.5, down, o)          SmoothQuant scales folded into the norms (down: into up; o: into v)",
        "    hadamard(seed=0, online=true)            QuaRot: randomized Hadamard on the residual stream fused into the",
        "                                             weights, online Hadamard before o and down",
        "    gptq(w.., damp=0.01, block=128, actorder=true)   GPTQ, layer by layer",
        "    awq(w.., grid=20)                        AWQ scale search, then round to nearest",
        "    noisyquant(a.., seed=0)                  static activation quantization with a fixed noisy bias",
        "    mixed(budget=4, min=2, max=8, g.., windows=8)   integer bits per layer by measured KL sensitivity",
        "                                             under an average-bits budget, then round to nearest",
        "    lowrank(r=R, whiten, damp=0.001)         each block matrix cut to the rank a fraction R of its parameters",
        "                                             buys: SVD, or SVD-LLM's activation-whitened SVD; before quantizing",
        "  Weight methods also take a.. / ag / aclip (activation quantization set right after them).",
        "  Example: hadamard+gptq(w4,g128)+rtn(a4)"})
final class QuantizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--recipe", required = true, description = "The quantization recipe (grammar above).") String recipe;
    @Option(names = "--calib", defaultValue = QuantTexts.BROWN, description = QuantTexts.CALIB_HELP) String calib;
    @Option(names = "--calib-tokens", description = "Calibration token ids (whitespace-separated) instead of --calib text.") Path calibTokens;
    @Option(names = "--eval", defaultValue = QuantTexts.BROWN, description = QuantTexts.EVAL_HELP) String eval;
    @Option(names = "--eval-tokens", description = "Evaluation token ids instead of --eval text.") Path evalTokens;
    @Option(names = "--ctx", defaultValue = "256", description = "Tokens per calibration and evaluation window, BOS included (default ${DEFAULT-VALUE}, capped at the model's context).") int ctx;
    @Option(names = "--calib-windows", defaultValue = "64", description = "Calibration windows, evenly spaced over the calibration text (default ${DEFAULT-VALUE}).") int calibWindows;
    @Option(names = "--eval-windows", defaultValue = "0", description = "Evaluate on this many evenly spaced windows (default 0: all).") int evalWindows;
    @Option(names = "--out", description = "Write the quantized weights as GGUF (weight-only recipes).") Path out;
    @Option(names = "--out-type", defaultValue = "F32", description = "Matrix type of --out: F32 (the fake-quantized values exactly), F16, Q8_0, Q4_0 (default ${DEFAULT-VALUE}).") DType outType;
    @Option(names = "--cache", description = "Where fetched corpora are kept (default ~/.cache/actlab).") Path cache;
    @Mixin ThreadsOption threads;
    @Option(names = "--parts", description = "Also split the error into weight and activation parts, in total and per layer (2 + 2 x layers more evaluations).") boolean parts;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        threads.apply();
        if (out != null) OutputPath.file("--out", out);
        Recipe r = Recipe.parse(recipe);
        LlamaModel m = model.decoder();
        EvalSetup s = EvalSetup.of(m, calib, calibTokens, eval, evalTokens, ctx, calibWindows, evalWindows, cache, r.calibrates());
        QuantizeRun.Result res;
        long t0 = System.nanoTime();
        QuantModel q = QuantizeRun.quantize(m, r, s.calibration, label -> new ProgressBar(label, "units"));
        double qs = (System.nanoTime() - t0) / 1e9;
        var stats = PairedPerplexity.run(m, List.of(q.build()), s.windows, new ProgressBar("evaluate", "tokens")).get(0);
        res = new QuantizeRun.Result(r.text(), q.steps(), r.bitsLabel(), QuantizeRun.weightBits(q), stats, qs);
        QuantErrorParts split = parts ? QuantizeRun.errorParts(m, q, s.windows, new ProgressBar("error split", "tokens")) : null;
        if (out != null) {
            ProgressBar bar = new ProgressBar("write", "MB");
            QuantizeRun.writeGguf(q, model.path(), out, outType, (d, t) -> bar.update(d >> 20, t >> 20));
        }
        PrintWriter pw = spec.commandLine().getOut();
        if (json.enabled) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", m.source());
            j.put("protocol", s.protocol(m));
            j.putAll(res.toJson());
            if (split != null) j.put("error_split", split.toJson());
            if (out != null) j.put("out", out.toString());
            pw.println(Json.write(j));
        } else {
            pw.println(s.protocolLine(m));
            pw.printf("recipe: %s (%s, %.2f bits per weight)%n", r.text(), r.bitsLabel(), res.weightBitsPerValue());
            for (String step : q.steps()) pw.println("  " + step);
            pw.printf("quantized in %.1f s%n", qs);
            pw.print(stats.table());
            if (split != null) pw.print(split.table("layer"));
            if (out != null) pw.println("wrote " + out + " (" + outType + ")");
        }
        pw.flush();
        return 0;
    }
}
