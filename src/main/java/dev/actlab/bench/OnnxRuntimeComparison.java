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
    /** One contender's timings at one shape. */
    public record Timing(String engine, double bestMs, double medianMs, double tokensPerSecond, double gflops, double percentOfPeak) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("engine", engine); m.put("best_ms", round(bestMs)); m.put("median_ms", round(medianMs));
            m.put("tokens_per_s", Math.round(tokensPerSecond)); m.put("gflops", round(gflops)); m.put("percent_of_fma_peak", round(percentOfPeak));
            return m;
        }
    }

    /** Both contenders at one shape; ratio > 1 means actlab is faster. */
    public record Result(int batch, int seq, Timing actlab, Timing ort) {
        public double speedup() { return ort.bestMs / actlab.bestMs; }

        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("batch", batch); m.put("seq", seq);
            m.put("actlab", actlab.json()); m.put("onnxruntime", ort.json());
            m.put("speedup_best", round(speedup()));
            m.put("speedup_median", round(ort.medianMs / actlab.medianMs));
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
        double[] a = new double[rounds], o = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            // alternate who goes first, so neither always runs on a cooler or warmer machine
            if (r % 2 == 0) { a[r] = timeActlab(model, ids); o[r] = timeOrt(ort, ids, pad); }
            else { o[r] = timeOrt(ort, ids, pad); a[r] = timeActlab(model, ids); }
        }
        double f = flops(model.config(), batch, seq);
        return new Result(batch, seq, timing("actlab", a, batch * seq, f, peakGflops), timing("onnxruntime", o, batch * seq, f, peakGflops));
    }

    private static double timeActlab(BertModel model, int[][] ids) {
        long t0 = System.nanoTime();
        model.forward(ids, null, Hooks.none());
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double timeOrt(OnnxRuntimeEncoder ort, int[][] ids, int pad) throws Exception {
        long t0 = System.nanoTime();
        ort.lastHiddenState(ids, pad);
        return (System.nanoTime() - t0) / 1e6;
    }

    private static Timing timing(String engine, double[] ms, int tokens, double flops, double peak) {
        double best = Arrays.stream(ms).min().orElseThrow(), median = BestMedian.median(ms);   // times: lowest is best
        double gflops = flops / (best * 1e6);
        return new Timing(engine, best, median, tokens / (best / 1000), gflops, peak > 0 ? 100 * gflops / peak : Double.NaN);
    }
}
