package dev.actlab.cli;

import dev.actlab.io.ProgressBar;

import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.load.ModelRef;
import dev.actlab.model.gguf.GgufBertWriter;
import dev.actlab.model.gguf.GgufLlamaWriter;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.tensor.DType;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "convert", description = "Write any model actlab reads as GGUF (llama.cpp's layout and keys), e.g. minilm as a bert GGUF.")
final class ConvertCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--model", required = true, description = "minilm, or a model file or directory.") String model;
    @Option(names = "--out", required = true, description = "Output .gguf file.") Path out;
    @Option(names = "--dtype", defaultValue = "F32", description = "Matrix type: F32, F16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, MXFP4, a K-quant Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, or IQ4_NL (default ${DEFAULT-VALUE}). "
            + "Blocks are quantized as llama-quantize does (same bytes); a matrix whose rows are not whole blocks takes llama-quantize's fallback type when actlab writes it, else F16.") String dtypeName;

    @Override public Integer call() throws Exception {
        OutputPath.file("--out", out);
        DType dtype = GgufWriter.writableType("--dtype", dtypeName);
        HookedModel m = ModelRef.load(model);
        String name = Path.of(m.source()).getFileName().toString();
        GgufWriter w = switch (m) {
            case LlamaModel l -> GgufLlamaWriter.export(l, dtype, name);
            case BertModel b -> GgufBertWriter.export(b, dtype, name);
            default -> throw new IllegalArgumentException(m.architecture() + " models cannot be written as GGUF yet");
        };
        ProgressBar bar = new ProgressBar("convert", "MB");
        w.write(out, (done, total) -> bar.update(done >> 20, total >> 20));
        spec.commandLine().getOut().printf("wrote %s (%s, %s)%n", out, m.architecture(), dtype);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
