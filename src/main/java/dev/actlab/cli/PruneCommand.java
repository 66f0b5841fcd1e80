package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.prune.PruneRun;
import dev.actlab.prune.PruningMethod;
import dev.actlab.prune.PruningPattern;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "prune", description = {
        "Weight pruning of a decoder, written as an ordinary GGUF whose pruned",
        "weights are exact zeros (F32; the input's metadata and tokenizer kept, so",
        "llama.cpp runs it), read back, measured (zeros per matrix) and evaluated",
        "against the dense model: perplexity and the KLD statistics that",
        "`ppl --kl-base` prints, on held-out text.",
        "",
        "Pruned: the seven linear layers of every block (attn_q, attn_k, attn_v,",
        "attn_output, ffn_gate, ffn_up, ffn_down); never the token embedding, the",
        "unembedding (output) or the norms.",
        "magnitude, wanda and sparsegpt prune WITHIN EACH OUTPUT ROW (each row of",
        "the GGUF matrix): every row loses the same fraction, or keeps N of every",
        "M consecutive inputs (--nm).",
        "  magnitude   zero the smallest |W_ij| of each row (no calibration).",
        "  wanda       score |W_ij| * ||X_j||_2 (X_j: input j over all calibration",
        "              tokens); zero the lowest of each row; no weight updated.",
        "  sparsegpt   H = 2 X X^T + 1% damping; columns left to right, the mask",
        "              chosen per block of 128 columns by w^2 / [H^-1]_cc^2, each",
        "              removed weight's error spread over the later columns (OBS",
        "              update, the GPTQ machinery).",
        "  structured  whole MLP channels and attention heads, coarse to fine",
        "              (CFSP): a per-block budget from how far each block turns the",
        "              residual stream, then the units of least output energy in",
        "              the block; --sparsity is the mean fraction of units.",
        "Activation methods go layer by layer: each layer is calibrated on inputs",
        "that ran through the layers pruned before it."})
final class PruneCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--method", required = true, description = "magnitude, wanda, sparsegpt or structured.") String method;
    @Option(names = "--sparsity", description = "Fraction of each row to prune, in [0, 1) (structured: of channels and heads). Implied by --nm.") Double sparsity;
    @Option(names = "--nm", description = "N:M semi-structured sparsity, e.g. 2:4 or 4:8: N non-zeros kept in every M consecutive inputs of each row.") String nm;
    @Option(names = "--calib", description = "Calibration text (needed by wanda, sparsegpt, structured): a UTF-8 file, or brown (the Brown corpus' training split).") String calib;
    @Option(names = "--calib-tokens", description = "Calibration token ids (whitespace-separated) instead of --calib text.") Path calibTokens;
    @Option(names = "--eval", defaultValue = QuantTexts.BROWN, description = QuantTexts.EVAL_HELP) String eval;
    @Option(names = "--eval-tokens", description = "Evaluation token ids instead of --eval text.") Path evalTokens;
    @Option(names = "--ctx", defaultValue = "256", description = "Tokens per calibration and evaluation window, BOS included (default ${DEFAULT-VALUE}, capped at the model's context).") int ctx;
    @Option(names = "--calib-windows", defaultValue = "64", description = "Calibration windows, evenly spaced over the calibration text (default ${DEFAULT-VALUE}).") int calibWindows;
    @Option(names = "--eval-windows", defaultValue = "0", description = "Evaluate on this many evenly spaced windows (default 0: all).") int evalWindows;
    @Option(names = "--out", required = true, description = "The pruned model, GGUF.") Path out;
    @Option(names = "--cache", description = "Where fetched corpora are kept (default ~/.cache/actlab).") Path cache;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        threads.apply();
        PruningMethod m = PruningMethod.parse(method);
        PruningPattern p = pattern(sparsity, nm);
        if (p.isNm() && !m.allowsNm()) throw new IllegalArgumentException("--method structured removes whole channels and heads: --nm does not apply");
        if (m.calibrates() && calib == null && calibTokens == null)
            throw new IllegalArgumentException("--method " + m.label() + " needs calibration text: give --calib FILE|brown or --calib-tokens FILE");
        OutputPath.file("--out", out);
        LlamaModel base = model.decoder();
        p.check(base.config());
        EvalSetup s = EvalSetup.of(base, calib == null ? QuantTexts.BROWN : calib, calibTokens, eval, evalTokens, ctx,
                calibWindows, evalWindows, cache, m.calibrates());
        PruneRun.Result r = PruneRun.run(base, model.path(), m, p, s.calibration, s.windows, out, label -> new ProgressBar(label, "units"));
        PrintWriter pw = spec.commandLine().getOut();
        if (json.enabled) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", base.source());
            j.put("protocol", s.protocol(base));
            j.putAll(r.toJson());
            j.put("out", out.toString());
            pw.println(Json.write(j));
        } else {
            pw.println(s.protocolLine(base));
            pw.printf("%s, %s: pruned in %.1f s; zeros per matrix, read back from %s:%n", m.label(), p.label(), r.pruneSeconds(), out);
            pw.print(r.sparsityTable());
            pw.print(r.stats().table());
        }
        pw.flush();
        return 0;
    }

    /** --sparsity and --nm to one pattern; --nm implies the sparsity, which must agree when both are given. */
    static PruningPattern pattern(Double sparsity, String nm) {
        if (nm != null) {
            PruningPattern p = PruningPattern.nm(nm);
            if (sparsity != null && Math.abs(sparsity - p.sparsity()) > 1e-9)
                throw new IllegalArgumentException("--nm " + nm + " prunes " + p.sparsity() + " of each row, not --sparsity " + sparsity + ": give one of them");
            return p;
        }
        if (sparsity == null) throw new IllegalArgumentException("give --sparsity S (a fraction in [0, 1)) or --nm N:M");
        return PruningPattern.unstructured(sparsity);
    }
}
