package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;

import dev.actlab.model.gguf.GgufLlamaLoader;
import dev.actlab.model.gguf.GgufLlamaWriter;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.tensor.DType;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "synth", description = "Write a random-weight Llama in a real model's shape as GGUF (to measure kernels honestly).")
final class SynthCommand implements Callable<Integer> {
    /** Shapes of real models. */
    enum Shape {
        /** llama2.c stories110M. */
        _110M(new LlamaConfig("llama", 768, 2048, 12, 12, 12, 32000, 1024, 1e-5f, 10000f, false, null, true)),
        /** Llama 3.2 1B: grouped-query attention, tied embeddings, llama3 RoPE scaling. */
        _1B(new LlamaConfig("llama", 2048, 8192, 16, 32, 8, 128256, 131072, 1e-5f, 500000f, false,
                new LlamaConfig.RopeScaling(32f, 1f, 4f, 8192), true)),
        /** Small enough for tests, every block format still fits (dims multiples of 32). */
        TINY(new LlamaConfig("llama", 128, 384, 4, 4, 2, 1024, 256, 1e-5f, 10000f, false, null, false));

        final LlamaConfig config;
        Shape(LlamaConfig c) { this.config = c; }

        static Shape parse(String s) {
            return switch (s.toLowerCase()) {
                case "110m" -> _110M;
                case "1b" -> _1B;
                case "tiny" -> TINY;
                default -> throw new IllegalArgumentException("--shape must be 110M, 1B or tiny, not " + s);
            };
        }
    }

    @Spec CommandSpec spec;
    @Option(names = "--arch", defaultValue = "llama", description = "Architecture (llama).") String arch;
    @Option(names = "--shape", required = true, description = "110M (stories110M), 1B (Llama 3.2 1B) or tiny.") String shape;
    @Option(names = "--dtype", defaultValue = "Q8_0", description = "F32, F16, Q8_0 or Q4_0 (default ${DEFAULT-VALUE}).") String dtype;
    @Option(names = "--out", required = true, description = "Output .gguf file.") Path out;
    @Option(names = "--seed", defaultValue = "0", description = "Random seed (default ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--json", description = "Print a JSON summary.") boolean json;

    @Override public Integer call() throws Exception {
        if (!arch.equals("llama")) throw new IllegalArgumentException("--arch must be llama, not " + arch);
        Shape s = Shape.parse(shape);
        DType type = switch (dtype.toUpperCase()) {
            case "F32" -> DType.F32; case "F16" -> DType.F16; case "Q8_0" -> DType.Q8_0; case "Q4_0" -> DType.Q4_0;
            default -> throw new IllegalArgumentException("--dtype must be F32, F16, Q8_0 or Q4_0, not " + dtype);
        };
        LlamaConfig c = s.config;
        GgufWriter w = write(c, type, seed, "synthetic-" + shape + "-" + type);
        long start = System.nanoTime();
        ProgressBar bar = new ProgressBar("synth", "MB");
        w.write(out, (done, total) -> bar.update(done >> 20, total >> 20));
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("out", out.toString());
        summary.put("shape", shape);
        summary.put("dtype", type.name());
        summary.put("parameters", c.parameterCount());
        summary.put("bytes", Files.size(out));
        summary.put("seconds", (System.nanoTime() - start) / 1e9);
        PrintWriter pw = spec.commandLine().getOut();
        if (json) pw.println(Json.write(summary));
        else pw.printf("wrote %s: %s-shaped llama, %,d parameters, %s weights, %,d bytes%n", out, shape, c.parameterCount(), type, Files.size(out));
        pw.flush();
        return 0;
    }

    /**
     * The GGUF of a random model: matrices ~ N(0, 0.02^2) (GPT-2's initialisation scale, which
     * keeps activations sane), norm weights 1, llama3 RoPE divisors when scaled. Each tensor has
     * its own generator seeded from (seed, tensor index), so the bytes depend only on the seed.
     */
    static GgufWriter write(LlamaConfig c, DType type, long seed, String name) {
        GgufWriter w = new GgufWriter();
        GgufLlamaWriter.putConfig(w, c, name);
        List<GgufLlamaWriter.Slot> slots = GgufLlamaWriter.slots(c, false);
        for (int i = 0; i < slots.size(); i++) {
            GgufLlamaWriter.Slot slot = slots.get(i);
            GgufWriter.Rows rows;
            if (slot.name().equals("rope_freqs.weight")) {
                float[] div = GgufLlamaLoader.llama3Divisors(c, c.ropeScaling());
                rows = (r, dst) -> System.arraycopy(div, 0, dst, 0, div.length);
            } else if (!slot.matrix()) {
                rows = (r, dst) -> java.util.Arrays.fill(dst, 1f);
            } else {
                SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
                rows = (r, dst) -> { for (int k = 0; k < dst.length; k++) dst[k] = (float) (rnd.nextGaussian() * 0.02); };
            }
            w.tensor(slot.name(), GgufLlamaWriter.storedType(slot, type), slot.dims(), rows);
        }
        return w;
    }
}
