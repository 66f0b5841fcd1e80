package dev.actlab.bench;

import dev.actlab.io.Json;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.load.ModelRef;
import dev.actlab.model.onnx.MiniLm;
import dev.actlab.model.onnx.OnnxRuntimeEncoder;
import dev.actlab.tensor.Parallel;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * `actlab bench --model minilm`: actlab vs ONNX Runtime on the same inputs, throughput (batch x
 * seq) and latency (batch 1 x latencySeq, 0 to skip), each an {@link OnnxRuntimeComparison}.
 */
public record EncoderBench(String model, int batch, int seq, int latencySeq, int threads, int rounds, int warmup) {

    /** Alternating rounds of both engines; prints a table or JSON to out, progress to err. */
    public void run(boolean json, PrintWriter out, PrintWriter err) throws Exception {
        if (batch < 1 || seq < 2 || rounds < 1 || warmup < 0 || latencySeq < 0 || latencySeq == 1)
            throw new IllegalArgumentException("need --batch >= 1, --seq >= 2, --rounds >= 1, --warmup >= 0, --latency-seq 0 or >= 2");
        if (!model.equals(ModelLoader.MINILM) && !model.endsWith(".onnx"))
            throw new IllegalArgumentException("--model must be minilm or a BERT .onnx file: ONNX Runtime runs the same file side by side");
        Parallel.setDefaultThreads(threads);
        BertModel m = ModelRef.encoder(model);
        if (seq > m.config().maxPositions() || latencySeq > m.config().maxPositions())
            throw new IllegalArgumentException("--seq and --latency-seq must be <= " + m.config().maxPositions());
        byte[] onnx = model.equals(ModelLoader.MINILM) ? MiniLm.resource(MiniLm.ONNX_RESOURCE) : Files.readAllBytes(Path.of(model));
        err.printf("measuring FMA peak on %d thread(s)...%n", threads);
        double peak = FmaPeak.measure(threads, 300);
        List<OnnxRuntimeComparison.Result> results = new ArrayList<>();
        try (OnnxRuntimeEncoder ort = new OnnxRuntimeEncoder(onnx, threads)) {
            err.printf("throughput: batch %d x seq %d, %d warm-up + %d alternating rounds...%n", batch, seq, warmup, rounds);
            results.add(OnnxRuntimeComparison.run(m, ort, batch, seq, warmup, rounds, peak));
            if (latencySeq > 0) {
                err.printf("latency: batch 1 x seq %d...%n", latencySeq);
                results.add(OnnxRuntimeComparison.run(m, ort, 1, latencySeq, Math.max(warmup, 20), Math.max(rounds, 50), peak));
            }
        }
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("model", m.source()); o.put("threads", threads); o.put("fma_peak_gflops", OnnxRuntimeComparison.round(peak));
            o.put("rounds", rounds); o.put("results", results.stream().map(OnnxRuntimeComparison.Result::json).toList());
            out.println(Json.write(o));
            return;
        }
        out.printf("%s, %d thread(s), FMA peak %.1f GFLOP/s%n", m.source(), threads, peak);
        out.printf("%-6s %-5s %-12s %10s %10s %12s %9s %7s %12s%n", "batch", "seq", "engine", "best ms", "median ms", "tokens/s", "GFLOP/s", "% peak", "mean CPU ms");
        for (OnnxRuntimeComparison.Result r : results) {
            for (OnnxRuntimeComparison.Timing t : List.of(r.actlab(), r.ort()))
                out.printf("%-6d %-5d %-12s %10.2f %10.2f %12.0f %9.1f %7.1f %12.2f%n", r.batch(), r.seq(), t.engine(), t.bestMs(), t.medianMs(), t.tokensPerSecond(), t.gflops(), t.percentOfPeak(),
                        t.meanCpuMs());
            out.printf("%-6d %-5d actlab / ORT speed (best): %.2fx  (median: %.2fx); on mean process CPU time: %.2fx%n", r.batch(), r.seq(), r.speedup(),
                    r.ort().medianMs() / r.actlab().medianMs(), r.cpuSpeedup());
        }
    }
}
