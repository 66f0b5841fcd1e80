package dev.actlab.bench;

import dev.actlab.model.bert.BertConfig;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.onnx.OnnxRuntimeEncoder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * actlab's encoder and ONNX Runtime on the same inputs in the same process, at one shape
 * (batch x seq): warm-up runs first, then rounds that alternate the contenders (so drift in
 * clock speed or a noisy neighbour hits both), reporting the best and the median of each.
 */
public final class OnnxRuntimeComparison {
    /**
     * One contender's timings at one shape: wall time, and the process's CPU time over the same
     * call (all its threads, ONNX Runtime's native ones too, spinning included), which a neighbour
     * that takes the cores away does not inflate; its clock ticks in 10 ms steps here, so the mean over
     * the rounds (not the best or median of single calls) is what it can measure.
     */
    public record Timing(String engine, double bestMs, double medianMs, double tokensPerSecond, double gflops, double percentOfPeak,
                         double meanCpuMs) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("engine", engine); m.put("best_ms", round(bestMs)); m.put("median_ms", round(medianMs));
            m.put("tokens_per_s", Math.round(tokensPerSecond)); m.put("gflops", round(gflops)); m.put("percent_of_fma_peak", round(percentOfPeak));
            m.put("mean_cpu_ms", round(meanCpuMs));
            return m;
        }
    }

    /** Both contenders at one shape; ratio > 1 means actlab is faster. */
    public record Result(int batch, int seq, Timing actlab, Timing ort) {
        public double speedup() { return ort.bestMs / actlab.bestMs; }
        /** The same on the mean process CPU time per call. */
        public double cpuSpeedup() { return ort.meanCpuMs / actlab.meanCpuMs; }

        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("batch", batch); m.put("seq", seq);
            m.put("actlab", actlab.json()); m.put("onnxruntime", ort.json());
            m.put("speedup_best", round(speedup()));
            m.put("speedup_median", round(ort.medianMs / actlab.medianMs));
            m.put("cpu_speedup_mean", round(cpuSpeedup()));
            return m;
        }
    }

    private OnnxRuntimeComparison() {}

    /** Three decimals: what the JSON reports keep. */
    public static double round(double v) { return Math.round(v * 1000) / 1000.0; }

    /** Token ids [CLS] w... [SEP], seq long, words drawn with a fixed seed from the ordinary vocabulary. */
    static int[][] inputs(BertModel model, int batch, int seq, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int cls = model.tokenizer().bosId(), sep = model.tokenizer().eosId();
        int[][] ids = new int[batch][seq];
        for (int[] row : ids) {
            for (int t = 0; t < seq; t++) row[t] = rnd.nextInt(1996, model.config().vocabSize());   // past the special and unused ids
            row[0] = cls;
            row[seq - 1] = sep;
        }
        return ids;
    }

    /** FLOPs of one forward pass: dense layers plus attention's QK^T and PV. */
    static double flops(BertConfig c, int batch, int seq) {
        double dense = 2.0 * batch * seq * c.denseMacsPerToken();
        double attention = 2.0 * 2.0 * batch * (double) seq * seq * c.dModel() * c.layers();
        return dense + attention;
    }

    public static Result run(BertModel model, OnnxRuntimeEncoder ort, int batch, int seq, int warmup, int rounds, double peakGflops) throws Exception {
        int[][] ids = inputs(model, batch, seq, 42);
        int pad = model.tokenizer().padId();
        for (int i = 0; i < warmup; i++) { model.forward(ids, null, Hooks.none()); ort.lastHiddenState(ids, pad); }
        double[] a = new double[rounds], o = new double[rounds], aCpu = new double[rounds], oCpu = new double[rounds];
        Call actlab = () -> model.forward(ids, null, Hooks.none()), onnx = () -> ort.lastHiddenState(ids, pad);
        for (int r = 0; r < rounds; r++) {
            // alternate who goes first, so neither always runs on a cooler or warmer machine
            if (r % 2 == 0) { time(actlab, a, aCpu, r); time(onnx, o, oCpu, r); }
            else { time(onnx, o, oCpu, r); time(actlab, a, aCpu, r); }
        }
        double f = flops(model.config(), batch, seq);
        return new Result(batch, seq, timing("actlab", a, aCpu, batch * seq, f, peakGflops), timing("onnxruntime", o, oCpu, batch * seq, f, peakGflops));
    }

    @FunctionalInterface interface Call { void run() throws Exception; }

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    /** Untimed calls of an engine before each timed one, for at least this long (see {@link #settle}); -Dactlab.encoderBench.settleMs=M changes it. */
    static final long SETTLE_NANOS = Long.getLong("actlab.encoderBench.settleMs", 50) * 1_000_000;

    /**
     * Whether each timed call follows {@link #settle} (unless -Dactlab.encoderBench.settle=false).
     * ONNX Runtime's pool threads keep spinning on the cores for ~30 ms after each of its calls
     * (process CPU time measured during a sleep after a call), so the other engine's call right after
     * it runs with one core taken: at batch 1 x 16 its median measured up to 2x slower.
     */
    static final boolean SETTLE = Boolean.parseBoolean(System.getProperty("actlab.encoderBench.settle", "true"));

    /**
     * Runs an engine, untimed, for at least SETTLE_NANOS (one call or more), so that the previous
     * engine's spinning threads have stopped and this engine is timed in its own steady state, as
     * when it serves calls back to back. Every engine gets the same.
     */
    static void settle(Call call) throws Exception {
        if (!SETTLE) return;
        long t0 = System.nanoTime();
        do call.run(); while (System.nanoTime() - t0 < SETTLE_NANOS);
    }

    /** Wall and process CPU milliseconds of one call into ms[r], cpu[r], after {@link #settle}. */
    private static void time(Call call, double[] ms, double[] cpu, int r) throws Exception {
        settle(call);
        long c0 = OS.getProcessCpuTime(), t0 = System.nanoTime();
        call.run();
        ms[r] = (System.nanoTime() - t0) / 1e6;
        cpu[r] = (OS.getProcessCpuTime() - c0) / 1e6;
    }

    private static Timing timing(String engine, double[] ms, double[] cpu, int tokens, double flops, double peak) {
        double best = Arrays.stream(ms).min().orElseThrow(), median = BestMedian.median(ms);   // times: lowest is best
        double gflops = flops / (best * 1e6);
        return new Timing(engine, best, median, tokens / (best / 1000), gflops, peak > 0 ? 100 * gflops / peak : Double.NaN,
                Arrays.stream(cpu).average().orElseThrow());
    }
}
