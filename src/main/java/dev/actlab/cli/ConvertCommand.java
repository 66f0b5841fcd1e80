package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;

import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.load.ModelRef;
import dev.actlab.model.gguf.GgufBertWriter;
import dev.actlab.model.gguf.LlamaQuantTypes;
import dev.actlab.model.gguf.LlamaQuantizeFile;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.llama.LlamaModel;
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

@Command(name = "convert", resourceBundle = "dev.actlab.cli.ConvertCommand$Help", description = "Write any model actlab reads as GGUF (llama.cpp's layout and keys), e.g. minilm as a bert GGUF. "
        + "A decoder is written as llama-quantize writes it (same bytes from the same F32 GGUF): the source GGUF's metadata, then general.quantization_version "
        + "and general.file_type, tensors in llama.cpp's order.")
final class ConvertCommand implements Callable<Integer> {
    /** What the shared options say here. */
    public static final class Help extends OptionHelp {
        public Help() { super("json", "Print a JSON summary: the file, its type, llama.cpp's file type, matrices per stored type, bytes."); }
    }

    @Spec CommandSpec spec;
    @Option(names = "--model", required = true, description = "minilm, or a model file or directory.") String model;
    @Option(names = "--out", required = true, description = "Output .gguf file.") Path out;
    @Option(names = "--dtype", defaultValue = "F32", description = "Matrix type: F32, F16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, MXFP4, a K-quant Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, or IQ4_NL (default ${DEFAULT-VALUE}). "
            + "Blocks are quantized as llama-quantize does (same bytes); a matrix whose rows are not whole blocks takes llama-quantize's fallback type when actlab writes it, else F16.") String dtypeName;
    @Option(names = "--mixture", description = "Decoders: llama-quantize's per-tensor type mixture (what it does without --pure: Q4_K means Q4_K_M, "
            + "the output or tied embedding in Q6_K, some attn_v/ffn_down in more bits). Default: every matrix in --dtype, as llama-quantize --pure.") boolean mixture;
    @Option(names = "--imatrix", paramLabel = "FILE", description = "Decoders: llama.cpp importance matrix (actlab imatrix, llama-imatrix): "
            + "importance-weighted quantizers and metadata as llama-quantize --imatrix FILE. Every quantized matrix but token_embd needs an entry.") String imatrix;
    @Mixin JsonOption json;

    @Override public Integer call() throws Exception {
        OutputPath.file("--out", out);
        DType dtype = GgufWriter.writableType("--dtype", dtypeName);
        HookedModel m = ModelRef.load(model);
        String name = Path.of(m.source()).getFileName().toString();
        if (!(m instanceof LlamaModel) && (mixture || imatrix != null))
            throw new IllegalArgumentException("--mixture and --imatrix apply to decoders, not " + m.architecture());
        PrintWriter pw = spec.commandLine().getOut();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("out", out.toString());
        summary.put("architecture", m.architecture());
        summary.put("dtype", dtype.name());
        GgufWriter w = switch (m) {
            case LlamaModel l -> {
                LlamaQuantizeFile.Plan p = LlamaQuantizeFile.prepare(l, dtype, !mixture, imatrix, name);
                Map<String, Integer> types = new LinkedHashMap<>();
                p.matrixTypes().forEach((t, n) -> types.put(t.name(), n));
                summary.put("mixture", mixture);
                if (imatrix != null) summary.put("imatrix", imatrix);
                summary.put("file_type", LlamaQuantTypes.fileType(dtype));
                summary.put("matrices_by_type", types);
                if (!json.enabled) pw.printf("matrices by type: %s%n", types);
                yield p.writer();
            }
            case BertModel b -> GgufBertWriter.export(b, dtype, name);
            default -> throw new IllegalArgumentException(m.architecture() + " models cannot be written as GGUF yet");
        };
        ProgressBar bar = new ProgressBar("convert", "MB");
        w.write(out, (done, total) -> bar.update(done >> 20, total >> 20));
        summary.put("bytes", Files.size(out));
        if (json.enabled) pw.println(Json.write(summary));
        else pw.printf("wrote %s (%s, %s)%n", out, m.architecture(), dtype);
        pw.flush();
        return 0;
    }
}
