package dev.actlab.cli;

import dev.actlab.model.onnx.MiniLm;
import dev.actlab.model.onnx.OnnxRuntimeEncoder;
import dev.actlab.bench.FmaPeak;
import dev.actlab.bench.OnnxRuntimeComparison;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A short side-by-side benchmark of the encoder against ONNX Runtime (the full one is `actlab bench --model minilm`). */
final class EncoderSpeedDemoStep implements DemoStep {
    @Override public String name() { return "encoder_speed"; }
    @Override public String title() { return "speed: actlab vs ONNX Runtime on the same MiniLM, same inputs, same process"; }

    @Override public Map<String, Object> run(DemoContext ctx) throws Exception {
        double peak = FmaPeak.measure(ctx.threads, 200);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("threads", ctx.threads); out.put("fma_peak_gflops", DemoStep.round(peak));
        try (OnnxRuntimeEncoder ort = new OnnxRuntimeEncoder(MiniLm.resource(MiniLm.ONNX_RESOURCE), ctx.threads)) {
            var throughput = OnnxRuntimeComparison.run(ctx.encoder(), ort, 32, 128, 2, 3, peak);
            var latency = OnnxRuntimeComparison.run(ctx.encoder(), ort, 1, 16, 20, 30, peak);
            ctx.out.printf("  %-22s %12s %12s %8s%n", "", "actlab", "ONNX Runtime", "ratio");
            ctx.out.printf("  %-22s %12.0f %12.0f %7.2fx%n", "tokens/s (32 x 128)", throughput.actlab().tokensPerSecond(), throughput.ort().tokensPerSecond(), throughput.speedup());
            ctx.out.printf("  %-22s %12.2f %12.2f %7.2fx%n", "latency ms (1 x 16)", latency.actlab().bestMs(), latency.ort().bestMs(), latency.speedup());
            ctx.out.printf("  (best of 3 / 30 alternating rounds, %d thread(s); ratio > 1: actlab faster)%n", ctx.threads);
            out.put("results", List.of(throughput.json(), latency.json()));
        }
        return out;
    }
}
