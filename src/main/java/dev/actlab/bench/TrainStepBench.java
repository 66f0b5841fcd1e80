package dev.actlab.bench;

import dev.actlab.io.Json;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaShape;
import dev.actlab.tensor.Parallel;
import dev.actlab.train.AdamW;
import dev.actlab.train.GradientClipping;
import dev.actlab.train.StepProfile;
import dev.actlab.train.StepProfile.Phase;
import dev.actlab.train.TrainModel;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * `actlab bench --train`: training-step speed of a decoder preset (random weights and tokens, no
 * corpus) against the one-core FMA peak. Each round measures the peak, then times a block of
 * full steps (forward, cross-entropy, backward, gradient clipping, AdamW), so a neighbour's load
 * hits both alike. The step's flops are 3 x TrainModel.forwardFlopsPerToken; "GFLOP per
 * CPU-second" divides them by the process CPU time of the block (all threads, JIT and GC
 * included), which a shared machine does not inflate the way it inflates wall time.
 * With breakdown, a StepProfile charges the timed steps' CPU time to their phases (GEMMs,
 * attention, norms, cross-entropy, AdamW, ...): the calling thread's only, so run it with one thread.
 */
public record TrainStepBench(String preset, int vocab, int batch, int ctx, int threads, int rounds, int steps, int warmup, long seed,
                             boolean breakdown) {

    /** One timed block: wall seconds, process CPU seconds, the FMA peak measured before it. */
    private record Round(double wallSeconds, double cpuSeconds, double peak) {}

    /** Times the rounds on a pool of its own; prints a table or JSON to out, progress to err. */
    public void run(boolean json, PrintWriter out, PrintWriter err) throws InterruptedException {
        if (batch < 1 || ctx < 2 || vocab < 2 || rounds < 1 || steps < 1 || warmup < 0)
            throw new IllegalArgumentException("need --batch >= 1, --ctx >= 2, --vocab >= 2, --rounds >= 1, --steps >= 1, --warmup >= 0");
        LlamaConfig c = LlamaShape.trainingPreset(preset).config(ctx, vocab);
        int n = threads;
        if (n < 1) throw new IllegalArgumentException("--threads must be >= 1");
        try (Parallel par = new Parallel(n)) {
            TrainModel m = new TrainModel(c).withParallel(par);
            m.initialize(seed);
            AdamW opt = AdamW.standard(m.params(), 0.1f);
            SplittableRandom rng = new SplittableRandom(seed);
            int[] inputs = rng.ints(batch * ctx, 0, vocab).toArray(), targets = rng.ints(batch * ctx, 0, vocab).toArray();
            double flopsPerStep = 3 * m.forwardFlopsPerToken(ctx) * batch * ctx;
            err.printf("bench --train: %s (dim %d, hidden %d, %d layers, %d/%d heads, vocab %d), %,d parameters; batch %d x ctx %d, %d thread(s)%n",
                    preset, c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), vocab, m.parameterCount(), batch, ctx, n);
            err.printf("bench --train: %d warm-up steps...%n", warmup);
            for (int s = 0; s < warmup; s++) step(m, opt, inputs, targets, batch, ctx, null);
            List<Round> results = new ArrayList<>();
            StepProfile profile = breakdown ? new StepProfile() : null;
            m.withProfile(profile);
            for (int r = 0; r < rounds; r++) {
                double peak = FmaPeak.measure(1, 200);
                if (profile != null) profile.enter(Phase.OTHER);   // counting from here: the probe and the printing are not the step
                long cpu0 = processCpuNanos(), t0 = System.nanoTime();
                for (int s = 0; s < steps; s++) step(m, opt, inputs, targets, batch, ctx, profile);
                if (profile != null) profile.stop();
                Round round = new Round((System.nanoTime() - t0) / 1e9, (processCpuNanos() - cpu0) / 1e9, peak);
                results.add(round);
                err.printf("bench --train: round %d/%d: %,.0f tok/s, %.1f GFLOP/s, %.1f GFLOP per CPU-second = %.1f%% of the %.0f GFLOP/s one-core FMA peak%n",
                        r + 1, rounds, tokPerSec(round, steps, batch * ctx), gflops(round, steps, flopsPerStep),
                        perCpuSecond(round, steps, flopsPerStep), 100 * perCpuSecond(round, steps, flopsPerStep) / peak, peak);
            }
            double[] tok = results.stream().mapToDouble(x -> tokPerSec(x, steps, batch * ctx)).toArray();
            double[] gflops = results.stream().mapToDouble(x -> gflops(x, steps, flopsPerStep)).toArray();
            double[] perCpu = results.stream().mapToDouble(x -> perCpuSecond(x, steps, flopsPerStep)).toArray();
            double[] percent = results.stream().mapToDouble(x -> 100 * perCpuSecond(x, steps, flopsPerStep) / x.peak()).toArray();
            double[] peaks = results.stream().mapToDouble(Round::peak).toArray();

            Map<String, Object> o = new LinkedHashMap<>();
            o.put("config", preset.toLowerCase(Locale.ROOT));
            o.put("dim", c.dim()); o.put("hidden", c.hiddenDim()); o.put("layers", c.layers());
            o.put("heads", c.heads()); o.put("kv_heads", c.kvHeads()); o.put("vocab", vocab);
            o.put("parameters", m.parameterCount());
            o.put("batch", batch); o.put("ctx", ctx); o.put("threads", n);
            o.put("rounds", rounds); o.put("steps_per_round", steps); o.put("warmup_steps", warmup);
            o.put("flops_per_step", flopsPerStep);
            o.put("tokens_per_second", BestMedian.of(tok));
            o.put("gflops_per_second", BestMedian.of(gflops));
            o.put("gflop_per_cpu_second", BestMedian.of(perCpu));
            o.put("percent_of_one_core_fma_peak", BestMedian.of(percent));
            o.put("fma_peak_gflops_one_core", BestMedian.of(peaks));
            List<Map<String, Object>> detail = new ArrayList<>();
            for (int r = 0; r < rounds; r++)
                detail.add(Map.of("wall_seconds", results.get(r).wallSeconds(), "cpu_seconds", results.get(r).cpuSeconds(),
                        "fma_peak_gflops_one_core", peaks[r], "tokens_per_second", tok[r], "gflop_per_cpu_second", perCpu[r],
                        "percent_of_one_core_fma_peak", percent[r]));
            o.put("rounds_detail", detail);
            List<Map<String, Object>> phases = breakdown ? phases(profile, m, rounds * steps, BestMedian.median(peaks)) : null;
            if (breakdown) o.put("breakdown", phases);
            if (json) { out.println(Json.write(o)); return; }
            out.printf("training step, %s shape: %,d parameters, batch %d x ctx %d = %,d tokens, %.2f GFLOP per step, %d thread(s)%n",
                    preset.toLowerCase(Locale.ROOT), m.parameterCount(), batch, ctx, batch * ctx, flopsPerStep / 1e9, n);
            out.printf("%-34s %12s %12s%n", "", "best", "median");
            row(out, "tok/s", tok, "%,.0f");
            row(out, "GFLOP/s (wall clock)", gflops, "%.1f");
            row(out, "GFLOP per CPU-second", perCpu, "%.1f");
            row(out, "% of one-core FMA peak (round's)", percent, "%.1f");
            row(out, "one-core FMA peak GFLOP/s", peaks, "%.0f");
            if (breakdown) printPhases(out, phases, n);
        }
    }

    /**
     * Per phase: CPU ms per step, share of the step's profiled CPU time, and for the phases that
     * do matrix products their GFLOP per CPU-second and its fraction of the median FMA peak.
     */
    private List<Map<String, Object>> phases(StepProfile profile, TrainModel m, int steps, double peak) {
        Map<Phase, Long> nanos = profile.nanos();
        double total = nanos.values().stream().mapToLong(Long::longValue).sum();
        Map<Phase, Double> flops = StepProfile.flops(m, batch, ctx);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Map.Entry<Phase, Long> e : nanos.entrySet()) {
            if (e.getValue() == 0) continue;
            Map<String, Object> r = new LinkedHashMap<>();
            double ms = e.getValue() / 1e6 / steps;
            r.put("phase", e.getKey().name().toLowerCase(Locale.ROOT));
            r.put("description", e.getKey().description);
            r.put("cpu_ms_per_step", ms);
            r.put("share", e.getValue() / total);
            Double f = flops.get(e.getKey());
            if (f != null) {
                r.put("gflop_per_cpu_second", f / (ms / 1e3) / 1e9);
                r.put("percent_of_fma_peak", 100 * f / (ms / 1e3) / 1e9 / peak);
            }
            rows.add(r);
        }
        return rows;
    }

    /** What `actlab train` does per optimizer step (one micro-batch); profile (may be null) gets the clipping and AdamW phases. */
    private static void step(TrainModel m, AdamW opt, int[] inputs, int[] targets, int batch, int ctx, StepProfile profile) {
        m.zeroGrad();
        m.forward(inputs, targets, batch, ctx);
        m.backward(1f);
        if (profile != null) profile.enter(Phase.CLIPPING);
        GradientClipping.clipGlobalNorm(m.params(), 1.0);
        if (profile != null) profile.enter(Phase.ADAMW);
        opt.update(m.params(), 1e-4f);
        if (profile != null) profile.enter(Phase.OTHER);
    }

    private static void printPhases(PrintWriter out, List<Map<String, Object>> phases, int threads) {
        out.printf("%nwhere a step's CPU time goes%s:%n", threads == 1 ? "" : " (the calling thread's only: use --threads 1)");
        out.printf("%-20s %12s %8s %14s %10s  %s%n", "phase", "CPU ms/step", "share", "GFLOP/CPU-s", "% of peak", "");
        for (Map<String, Object> r : phases) {
            Object g = r.get("gflop_per_cpu_second"), p = r.get("percent_of_fma_peak");
            out.printf("%-20s %12.1f %7.1f%% %14s %10s  %s%n", r.get("phase"), (Double) r.get("cpu_ms_per_step"), 100 * (Double) r.get("share"),
                    g == null ? "" : String.format("%.1f", (Double) g), p == null ? "" : String.format("%.1f", (Double) p), r.get("description"));
        }
    }

    private static double tokPerSec(Round r, int steps, int tokensPerStep) { return steps * (double) tokensPerStep / Math.max(r.wallSeconds(), 1e-9); }

    private static double gflops(Round r, int steps, double flopsPerStep) { return steps * flopsPerStep / Math.max(r.wallSeconds(), 1e-9) / 1e9; }

    private static double perCpuSecond(Round r, int steps, double flopsPerStep) { return steps * flopsPerStep / Math.max(r.cpuSeconds(), 1e-9) / 1e9; }

    private static long processCpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    private static void row(PrintWriter o, String label, double[] v, String f) {
        Map<String, Double> m = BestMedian.of(v);
        o.printf("%-34s %12s %12s%n", label, String.format(f, m.get("best")), String.format(f, m.get("median")));
    }
}
