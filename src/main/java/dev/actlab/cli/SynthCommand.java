package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.gguf.RandomLlamaGguf;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaShape;
import dev.actlab.tensor.DType;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "synth", resourceBundle = "dev.actlab.cli.SynthCommand$Help",
        description = "Write a random-weight Llama in a real model's shape as GGUF (to measure kernels honestly).")
final class SynthCommand implements Callable<Integer> {
    /** What the shared options say here. */
    public static final class Help extends OptionHelp {
        public Help() { super("json", "Print a JSON summary."); }
    }

    @Spec CommandSpec spec;
    @Option(names = "--arch", defaultValue = "llama", description = "Architecture (llama).") String arch;
    @Option(names = "--shape", required = true, description = "110M (stories110M), 1B (Llama 3.2 1B), 260K (stories260K) or tiny-quant "
            + "(small, every row whole quantization blocks; tiny is tiny-quant).") String shape;
    @Option(names = "--dtype", defaultValue = "Q8_0", description = "F32, F16, Q8_0 or Q4_0 (default ${DEFAULT-VALUE}).") String dtype;
    @Option(names = "--out", required = true, description = "Output .gguf file.") Path out;
    @Option(names = "--seed", defaultValue = "0", description = "Random seed (default ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--two-four", description = "Prune every block matrix 2:4 by magnitude (in each group of 4 inputs the 2 largest |w| stay, the rest are exact zeros); "
            + "with --dtype F32 the file loads compressed (`bench --model FILE --two-four`).") boolean twoFour;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        OutputPath.file("--out", out);
        if (!arch.equals("llama")) throw new IllegalArgumentException("--arch must be llama, not " + arch);
        // "tiny" is tiny-quant, its name before LlamaShape
        LlamaShape s = LlamaShape.find(shape.equalsIgnoreCase("tiny") ? LlamaShape.TINY_QUANT.label() : shape, false).orElseThrow(() ->
                new IllegalArgumentException("--shape must be " + LlamaShape.labels(false) + " (or tiny), not " + shape));
        DType type = GgufWriter.writableType("--dtype", dtype);
        LlamaConfig c = s.config();
        GgufWriter w = RandomLlamaGguf.writer(c, type, seed, "synthetic-" + shape + "-" + type + (twoFour ? "-2:4" : ""), twoFour);
        long start = System.nanoTime();
        ProgressBar bar = new ProgressBar("synth", "MB");
        w.write(out, (done, total) -> bar.update(done >> 20, total >> 20));
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("out", out.toString());
        summary.put("shape", shape);
        summary.put("dtype", type.name());
        summary.put("two_four", twoFour);
        summary.put("parameters", c.parameterCount());
        summary.put("bytes", Files.size(out));
        summary.put("seconds", (System.nanoTime() - start) / 1e9);
        PrintWriter pw = spec.commandLine().getOut();
        if (json.enabled) pw.println(Json.write(summary));
        else pw.printf("wrote %s: %s-shaped llama, %,d parameters, %s weights, %,d bytes%n", out, shape, c.parameterCount(), type, Files.size(out));
        pw.flush();
        return 0;
    }
}
