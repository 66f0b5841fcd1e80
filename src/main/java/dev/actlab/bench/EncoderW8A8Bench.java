package dev.actlab.bench;

import dev.actlab.io.Json;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.load.ModelRef;
import dev.actlab.model.onnx.MiniLm;
import dev.actlab.model.onnx.OnnxRuntimeEncoder;
import dev.actlab.quant.EncoderQuality;
import dev.actlab.quant.EncoderW8A8;
import dev.actlab.tensor.Parallel;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * `actlab bench --model minilm --quant w8a8[:recipe]`: actlab's W8A8 MiniLM beside its FP32 self and
 * ONNX Runtime running the FP32 model and LangChain4j's int8 model, in one process. Quality: the
 * cosine of each quantized engine's sentence embeddings to its own FP32 embeddings on the built-in
 * evaluation sentences. Speed: the four contenders on the same token ids, rotating who goes first
 * in each round, best and median per shape (throughput batch x seq, latency 1 x latencySeq).
 */
public record EncoderW8A8Bench(EncoderW8A8.Spec spec, int batch, int seq, int latencySeq, int threads, int rounds, int warmup) {
    static final String[] ENGINES = {"actlab W8A8", "actlab FP32", "ORT FP32", "ORT int8"};

    /** One shape: best and median ms per engine, in ENGINES order. */
    public record Shape(int batch, int seq, double[] bestMs, double[] medianMs, double[] bestCpuMs, double[] medianCpuMs, double[] meanCpuMs) {
        /** How many times faster actlab W8A8 is than engine e, on best times. */
        public double speedup(int e) { return bestMs[e] / bestMs[0]; }
        public double speedupMedian(int e) { return medianMs[e] / medianMs[0]; }
        /** The same on CPU time (all of the process's threads, ONNX Runtime's native ones too): what a loaded machine does not blur. */
        public double cpuSpeedup(int e) { return bestCpuMs[e] / bestCpuMs[0]; }
        public double cpuSpeedupMedian(int e) { return medianCpuMs[e] / medianCpuMs[0]; }
        /** On the mean CPU time per call: the process CPU clock ticks in 10 ms steps here, so at batch 1 only the mean over rounds resolves. */
        public double cpuSpeedupMean(int e) { return meanCpuMs[e] / meanCpuMs[0]; }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("batch", batch); m.put("seq", seq);
            List<Map<String, Object>> engines = new ArrayList<>();
            for (int e = 0; e < ENGINES.length; e++) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("engine", ENGINES[e]); r.put("best_ms", OnnxRuntimeComparison.round(bestMs[e])); r.put("median_ms", OnnxRuntimeComparison.round(medianMs[e]));
                r.put("tokens_per_s", Math.round(batch * seq / (bestMs[e] / 1000)));
                r.put("w8a8_speedup_best", OnnxRuntimeComparison.round(speedup(e))); r.put("w8a8_speedup_median", OnnxRuntimeComparison.round(speedupMedian(e)));
                r.put("best_cpu_ms", OnnxRuntimeComparison.round(bestCpuMs[e])); r.put("median_cpu_ms", OnnxRuntimeComparison.round(medianCpuMs[e]));
                r.put("w8a8_cpu_speedup_best", OnnxRuntimeComparison.round(cpuSpeedup(e))); r.put("w8a8_cpu_speedup_median", OnnxRuntimeComparison.round(cpuSpeedupMedian(e)));
                r.put("mean_cpu_ms", OnnxRuntimeComparison.round(meanCpuMs[e])); r.put("w8a8_cpu_speedup_mean", OnnxRuntimeComparison.round(cpuSpeedupMean(e)));
                engines.add(r);
            }
            m.put("engines", engines);
            return m;
        }
    }

    /** Everything measured: quality of both int8 engines, and the shapes. */
    public record Report(String recipe, int threads, EncoderQuality actlab, EncoderQuality ort, double fp32Agreement, List<Shape> shapes) {
        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("recipe", recipe); m.put("threads", threads);
            m.put("actlab_w8a8_vs_actlab_fp32", actlab.json()); m.put("ort_int8_vs_ort_fp32", ort.json());
            m.put("actlab_fp32_vs_ort_fp32_min_cosine", fp32Agreement);
            m.put("shapes", shapes.stream().map(Shape::json).toList());
            return m;
        }

        public void print(PrintWriter out) {
            out.printf("MiniLM %s, %d thread(s)%n", recipe, threads);
            out.printf("cosine to FP32 on %d sentences   mean      min       nearest-neighbour agreement%n", actlab.texts());
            out.printf("  actlab W8A8 (vs actlab FP32)   %.6f  %.6f  %.3f%n", actlab.meanCosine(), actlab.minCosine(), actlab.neighbourAgreement());
            out.printf("  ORT int8    (vs ORT FP32)      %.6f  %.6f  %.3f%n", ort.meanCosine(), ort.minCosine(), ort.neighbourAgreement());
            out.printf("  (actlab FP32 vs ORT FP32: min cosine %.7f)%n", fp32Agreement);
            for (Shape s : shapes) {
                out.printf("batch %d x seq %d%n", s.batch, s.seq);
                out.printf("  %-12s %10s %10s %12s   %-30s %s%n", "engine", "best ms", "median ms", "tokens/s", "W8A8 speed-up (best / median)", "on mean CPU time");
                for (int e = 0; e < ENGINES.length; e++)
                    out.printf("  %-12s %10.2f %10.2f %12.0f   %.2fx / %.2fx %18s %.2fx%n", ENGINES[e], s.bestMs[e], s.medianMs[e], s.batch * s.seq / (s.bestMs[e] / 1000),
                            s.speedup(e), s.speedupMedian(e), "", s.cpuSpeedupMean(e));
            }
        }
    }

    /** Loads the four engines, measures quality then speed; progress to err. */
    public Report run(PrintWriter err) throws Exception {
        if (batch < 1 || seq < 2 || rounds < 1 || warmup < 0 || latencySeq < 0 || latencySeq == 1)
            throw new IllegalArgumentException("need --batch >= 1, --seq >= 2, --rounds >= 1, --latency-seq 0 or >= 2");
        Parallel.setDefaultThreads(threads);
        BertModel fp32 = ModelRef.encoder(ModelLoader.MINILM);
        if (seq > fp32.config().maxPositions() || latencySeq > fp32.config().maxPositions())
            throw new IllegalArgumentException("--seq and --latency-seq must be <= " + fp32.config().maxPositions());
        err.printf("quantizing MiniLM: %s%n", spec.describe());
        BertModel w8 = EncoderW8A8.quantize(fp32, spec);
        int pad = fp32.tokenizer().padId();
        try (OnnxRuntimeEncoder ort32 = new OnnxRuntimeEncoder(MiniLm.resource(MiniLm.ONNX_RESOURCE), threads);
             OnnxRuntimeEncoder ort8 = new OnnxRuntimeEncoder(MiniLm.resource(MiniLm.ONNX_INT8_RESOURCE), threads)) {
            List<String> texts = EncoderW8A8.evaluationText();
            int[][] ids = new int[texts.size()][];
            for (int i = 0; i < ids.length; i++) ids[i] = fp32.tokenizer().encode(texts.get(i), true);
            float[][] a32 = embed(fp32, ids), a8 = embed(w8, ids);
            float[][] o32 = ort32.meanPooledNormalized(ids, pad), o8 = ort8.meanPooledNormalized(ids, pad);
            EncoderQuality qa = EncoderQuality.of(a32, a8), qo = EncoderQuality.of(o32, o8);
            double agreement = EncoderQuality.of(o32, a32).minCosine();
            List<Shape> shapes = new ArrayList<>();
            err.printf("throughput: batch %d x seq %d, %d warm-up + %d rounds of 4 engines...%n", batch, seq, warmup, rounds);
            shapes.add(time(fp32, w8, ort32, ort8, batch, seq, warmup, rounds));
            if (latencySeq > 0) {
                err.printf("latency: batch 1 x seq %d...%n", latencySeq);
                shapes.add(time(fp32, w8, ort32, ort8, 1, latencySeq, Math.max(warmup, 20), Math.max(rounds, 50)));
            }
            return new Report(spec.describe(), threads, qa, qo, OnnxRuntimeComparison.round(agreement * 1e4) / 1e4, shapes);
        }
    }

    static float[][] embed(BertModel m, int[][] ids) {
        var out = m.forward(ids, null, Hooks.none());
        float[][] e = new float[ids.length][];
        for (int i = 0; i < ids.length; i++) e[i] = out.meanPooledNormalized(i);
        return e;
    }

    private static Shape time(BertModel fp32, BertModel w8, OnnxRuntimeEncoder ort32, OnnxRuntimeEncoder ort8, int batch, int seq, int warmup, int rounds) throws Exception {
        int[][] ids = OnnxRuntimeComparison.inputs(fp32, batch, seq, 42);
        int pad = fp32.tokenizer().padId();
        Contender[] c = {
                () -> w8.forward(ids, null, Hooks.none()), () -> fp32.forward(ids, null, Hooks.none()),
                () -> ort32.lastHiddenState(ids, pad), () -> ort8.lastHiddenState(ids, pad)};
        for (int i = 0; i < warmup; i++) for (Contender x : c) x.run();
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        double[][] ms = new double[c.length][rounds], cpu = new double[c.length][rounds];
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < c.length; i++) {
                // rotate who goes first (drift and neighbours hit every engine alike), forward in even rounds and
                // backward in odd ones: a cyclic order alone gave every engine the same predecessor in every round
                // (W8A8 always right after ONNX Runtime int8, whose threads spin on after a call)
                int e = r % 2 == 0 ? (i + r) % c.length : Math.floorMod(r - i, c.length);
                OnnxRuntimeComparison.settle(c[e]::run);   // untimed: the previous engine's spinning threads stop
                long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                c[e].run();
                ms[e][r] = (System.nanoTime() - t0) / 1e6;
                cpu[e][r] = (os.getProcessCpuTime() - c0) / 1e6;
            }
        double[] best = new double[c.length], median = new double[c.length], bestCpu = new double[c.length], medianCpu = new double[c.length], meanCpu = new double[c.length];
        for (int e = 0; e < c.length; e++) {
            best[e] = java.util.Arrays.stream(ms[e]).min().orElseThrow();
            median[e] = BestMedian.median(ms[e]);
            bestCpu[e] = java.util.Arrays.stream(cpu[e]).min().orElseThrow();
            medianCpu[e] = BestMedian.median(cpu[e]);
            meanCpu[e] = java.util.Arrays.stream(cpu[e]).average().orElseThrow();
        }
        return new Shape(batch, seq, best, median, bestCpu, medianCpu, meanCpu);
    }

    @FunctionalInterface private interface Contender { void run() throws Exception; }

    /** Runs and prints (a table, or JSON). */
    public void print(boolean json, PrintWriter out, PrintWriter err) throws Exception {
        Report r = run(err);
        if (json) out.println(Json.write(r.json()));
        else r.print(out);
    }
}
