package dev.actlab.cli;

import dev.actlab.io.Json;

import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.onnx.MiniLm;
import dev.actlab.model.onnx.OnnxRuntimeEncoder;
import dev.actlab.bench.FmaPeak;
import dev.actlab.tensor.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** `actlab bench --model minilm`: actlab vs ONNX Runtime on the same inputs, throughput (batch x seq) and latency (batch 1 x latency seq). */
final class EncoderBench {
    private EncoderBench() {}

    /** Alternating rounds of both engines; prints a table or JSON. */
    static int run(String model, int batch, int seq, int latencySeq, Integer threads, int rounds, int warmup, boolean json) throws Exception {
        if (batch < 1 || seq < 2 || rounds < 1 || warmup < 0 || latencySeq < 0 || latencySeq == 1)
            throw new IllegalArgumentException("need --batch >= 1, --seq >= 2, --rounds >= 1, --warmup >= 0, --latency-seq 0 or >= 2");
        if (!model.equals("minilm") && !model.endsWith(".onnx"))
            throw new IllegalArgumentException("--model must be minilm or a BERT .onnx file: ONNX Runtime runs the same file side by side");
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        Parallel.setDefaultThreads(n);
        BertModel m = ModelLoader.loadEncoder(model);
        if (seq > m.config().maxPositions() || latencySeq > m.config().maxPositions())
            throw new IllegalArgumentException("--seq and --latency-seq must be <= " + m.config().maxPositions());
        byte[] onnx = model.equals("minilm") ? MiniLm.resource(MiniLm.ONNX_RESOURCE) : Files.readAllBytes(Path.of(model));
        System.err.printf("measuring FMA peak on %d thread(s)...%n", n);
        double peak = FmaPeak.measure(n, 300);
        List<EncoderBenchmark.Result> results = new ArrayList<>();
        try (OnnxRuntimeEncoder ort = new OnnxRuntimeEncoder(onnx, n)) {
            System.err.printf("throughput: batch %d x seq %d, %d warm-up + %d alternating rounds...%n", batch, seq, warmup, rounds);
            results.add(EncoderBenchmark.run(m, ort, batch, seq, warmup, rounds, peak));
            if (latencySeq > 0) {
                System.err.printf("latency: batch 1 x seq %d...%n", latencySeq);
                results.add(EncoderBenchmark.run(m, ort, 1, latencySeq, Math.max(warmup, 20), Math.max(rounds, 50), peak));
            }
        }
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", m.source()); out.put("threads", n); out.put("fma_peak_gflops", EncoderBenchmark.round(peak));
            out.put("rounds", rounds); out.put("results", results.stream().map(EncoderBenchmark.Result::json).toList());
            System.out.println(Json.write(out));
        } else {
            System.out.printf("%s, %d thread(s), FMA peak %.1f GFLOP/s%n", m.source(), n, peak);
            System.out.printf("%-6s %-5s %-12s %10s %10s %12s %9s %7s%n", "batch", "seq", "engine", "best ms", "median ms", "tokens/s", "GFLOP/s", "% peak");
            for (EncoderBenchmark.Result r : results) {
                for (EncoderBenchmark.Timing t : List.of(r.actlab(), r.ort()))
                    System.out.printf("%-6d %-5d %-12s %10.2f %10.2f %12.0f %9.1f %7.1f%n", r.batch(), r.seq(), t.engine(), t.bestMs(), t.medianMs(), t.tokensPerSecond(), t.gflops(), t.percentOfPeak());
                System.out.printf("%-6d %-5d actlab / ORT speed (best): %.2fx  (median: %.2fx)%n", r.batch(), r.seq(), r.speedup(), r.ort().medianMs() / r.actlab().medianMs());
            }
        }
        return 0;
    }
}
