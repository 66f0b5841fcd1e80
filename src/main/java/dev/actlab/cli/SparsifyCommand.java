package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.sparsity.CalibrationText;
import dev.actlab.sparsity.SparseDecodeBench;
import dev.actlab.sparsity.SparseModel;
import dev.actlab.sparsity.SparsityQuality;
import dev.actlab.sparsity.SparsitySpec;
import dev.actlab.sparsity.Thresholds;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "sparsify", description = {"Activation sparsity: calibrate per-site thresholds for a target sparsity and write them (--out);",
        "--levels: perplexity dense vs sparse; --bench: dense vs sparse decode speed, alternating. Methods: teal skips matmul",
        "inputs with |x| below a per-site threshold; wina weighs |x[i]| by the norm of weight column i; chess gives every input",
        "channel its own threshold; cats thresholds |SiLU(gate)| and skips those rows of up and columns of down; rsparse",
        "(R-Sparse) sends the inputs it skips through a low-rank part of each matrix, within the same weight budget.",
        "--allocation greedy: TEAL's block-wise greedy, per-site targets that keep each block's mean at --sparsity."})
final class SparsifyCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Option(names = "--method", defaultValue = "teal", description = "teal, wina, cats, chess or rsparse; default ${DEFAULT-VALUE}.") String method;
    @Option(names = "--allocation", defaultValue = "uniform", description = "uniform (every site at the target) or greedy (per block; default ${DEFAULT-VALUE}).") String allocation;
    @Option(names = "--sparsity", required = true, description = "Target fraction of block-matmul inputs to skip, per site, e.g. 0.5.") double sparsity;
    @Option(names = "--calib", description = "Calibration text (default: built-in English text; random ids for a model without a tokenizer).") Path calib;
    @Option(names = "--calib-tokens", defaultValue = "2048", description = "Calibration tokens at most (default ${DEFAULT-VALUE}).") int calibTokens;
    @Option(names = "--out", description = "Thresholds file to write (JSON), for run|ppl|bench --sparsity FILE.") Path outFile;
    @Option(names = "--levels", split = ",", description = "Also perplexity dense vs these sparsities, e.g. 0.25,0.4,0.5.") double[] levels;
    @Option(names = "--eval", description = "Evaluation text for --levels (default: a built-in text disjoint from the calibration text).") Path eval;
    @Option(names = "--bench", description = "Also time decode dense vs sparse, alternating rounds.") boolean bench;
    @Option(names = "--rounds", defaultValue = "5", description = "--bench rounds (default ${DEFAULT-VALUE}).") int rounds;
    @Option(names = "--prompt-tokens", defaultValue = "32", description = "--bench prompt tokens (default ${DEFAULT-VALUE}).") int promptTokens;
    @Option(names = "--gen-tokens", defaultValue = "128", description = "--bench decoded tokens per round (default ${DEFAULT-VALUE}).") int genTokens;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        threads.apply();
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        LlamaModel m = model.decoder();
        CalibrationText text = CalibrationText.of(m, calib, calibTokens);
        Thresholds th = SparsitySpec.calibrate(method, allocation, m, text, sparsity, new ProgressBar("calibrate", "tokens"));
        if (outFile != null) th.write(outFile);
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", model.path().toString());
        j.put("thresholds", th.toJson());
        if (!json.enabled) {
            out.printf("%s thresholds (%s) for sparsity %.2f, calibrated on %d tokens (%s)%n", method, allocation, sparsity, text.tokens().length, text.source());
            out.printf("%-20s %12s %8s %12s%n", "site (input of)", method.equals("chess") ? "max thresh." : "threshold", "target", "calibrated");
            for (Thresholds.Site s : th.sites()) out.printf("%-20s %12.5f %8.3f %12.4f%n", s.name(), s.threshold(), s.target(), s.calibratedSparsity());
            if (outFile != null) out.println("wrote " + outFile);
        }
        if (levels != null) {
            int[] evalTokens = SparsityQuality.evalTokens(m, eval, 1 << 16);
            SparsityQuality.Result q = SparsityQuality.run(m, method, allocation, text, evalTokens, m.config().contextLength(), levels, new ProgressBar("levels", "levels"));
            j.put("quality", q.toJson());
            if (!json.enabled) {
                out.printf("%nperplexity on %d tokens (ctx %d): dense %.4f%n", q.evalTokens(), q.ctx(), q.densePerplexity());
                out.printf("%8s %12s %10s %14s %14s%n", "target", "perplexity", "change", "site sparsity", "weight sparsity");
                for (SparsityQuality.Level l : q.levels())
                    out.printf("%8.2f %12.4f %+9.2f%% %14.4f %14.4f%n", l.target(), l.perplexity(), 100 * (l.perplexity() / q.densePerplexity() - 1), l.meanSiteSparsity(), l.weightSparsity());
            }
        }
        if (bench) j.put("bench", runBench(m, SparseModel.of(m, th, true), promptTokens, genTokens, rounds, 1, json.enabled, out).toJson());
        if (json.enabled) out.println(Json.write(j));
        out.flush();
        return 0;
    }

    /** bench --sparsity: the decode comparison alone. */
    static void bench(LlamaModel m, SparsityOption sparsity, int promptTokens, int genTokens, int rounds, long seed,
                      boolean json, PrintWriter out, PrintWriter err) throws Exception {
        int p = Math.min(promptTokens, m.config().contextLength() / 4), g = Math.min(genTokens, m.config().contextLength() - p);
        sparsity.apply(m, true);
        SparseDecodeBench.Result r = runBench(m, sparsity.sparse, p, g, rounds, seed, json, out);
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", m.source());
            j.put("threads", m.parallel().threads());
            j.put("prompt_tokens", p);
            j.put("gen_tokens", g);
            j.put("rounds", rounds);
            j.put("sparsity", sparsity.describe());
            j.putAll(r.toJson());
            out.println(Json.write(j));
        }
    }

    static SparseDecodeBench.Result runBench(LlamaModel m, SparseModel s, int p, int g, int rounds, long seed, boolean json, PrintWriter out) {
        SparseDecodeBench.Result r = SparseDecodeBench.run(m, s, p, g, rounds, seed);
        if (!json) {
            out.printf("%ndecode, %d tokens after a %d-token prompt, %d rounds alternating dense and sparse (%d threads)%n", g, p, rounds, m.parallel().threads());
            out.printf("%-8s %10s %10s%n", "", "best", "median");
            out.printf("%-8s %10.1f %10.1f tok/s%n", "dense", r.bestDense(), r.medianDense());
            out.printf("%-8s %10.1f %10.1f tok/s%n", "sparse", r.bestSparse(), r.medianSparse());
            out.printf("speedup %.3fx (best %.3fx); measured sparsity %.3f of block inputs, %.3f of block weights; traffic limit %.3fx%n",
                    r.speedupMedian(), r.speedupBest(), r.meanSiteSparsity(), r.weightSparsity(), r.trafficLimit());
            if (r.hasCpuTime()) out.printf("by the decoding thread's CPU time (other processes' slices not counted): speedup %.3fx (best %.3fx)%n",
                    r.cpuSpeedupMedian(), r.cpuSpeedupBest());
            out.printf("input-major copies: %.1f MiB beside the model's weights%n", r.extraBytes() / 1048576.0);
        }
        return r;
    }
}
