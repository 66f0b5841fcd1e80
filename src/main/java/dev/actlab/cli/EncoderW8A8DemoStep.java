package dev.actlab.cli;

import dev.actlab.bench.EncoderW8A8Bench;
import dev.actlab.quant.EncoderW8A8;
import java.io.PrintWriter;
import java.util.Map;

/** MiniLM in W8A8 beside LangChain4j's int8 model on ONNX Runtime: cosine to FP32, then a short speed run (the full one: `actlab bench --model minilm --quant w8a8`). */
final class EncoderW8A8DemoStep implements DemoStep {
    @Override public String name() { return "encoder_w8a8"; }
    @Override public String title() { return "W8A8 MiniLM (SmoothQuant, int8 per token) vs ONNX Runtime's int8 MiniLM: cosine to FP32 and speed"; }

    @Override public Map<String, Object> run(DemoContext ctx) throws Exception {
        PrintWriter out = new PrintWriter(ctx.out, true), err = new PrintWriter(System.err, true);
        EncoderW8A8Bench.Report r = new EncoderW8A8Bench(EncoderW8A8.Spec.DEFAULT, 8, 128, 16, ctx.threads, 3, 1).run(err);
        r.print(out);
        out.println("  (short run: batch 8 x 128, best of 3 rotating rounds; speed-up > 1: actlab W8A8 faster)");
        return r.json();
    }
}
