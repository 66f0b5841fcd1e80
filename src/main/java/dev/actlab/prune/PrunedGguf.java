package dev.actlab.prune;

import dev.actlab.io.Progress;
import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufLlamaWriter;
import dev.actlab.model.gguf.GgufValue;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.quant.QuantModel;
import dev.actlab.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A pruned decoder as an ordinary GGUF: llama.cpp's layout, every tensor F32 (pruned weights are exact
 * zeros, kept weights exactly as pruning left them), and every metadata entry of a GGUF source
 * (tokenizer, names, licence, ...) carried over, except the file type (now F32) and the alignment (the
 * writer's). Adds actlab.pruning.method. Written beside the target and moved into place.
 */
public final class PrunedGguf {
    private PrunedGguf() {}

    public static void write(QuantModel q, Path source, Path out, Progress progress) throws IOException {
        String name = q.source() == null ? "model" : Path.of(q.source()).getFileName().toString();
        GgufWriter w = GgufLlamaWriter.export(q.build(), DType.F32, name);
        if (source != null && isGguf(source)) {
            for (Map.Entry<String, GgufValue> e : GgufFile.open(source).entries().entrySet())
                if (!e.getKey().equals("general.alignment") && !e.getKey().equals("general.file_type")) w.put(e.getKey(), e.getValue());
        }
        w.put("general.file_type", GgufValue.u32(0));                       // llama.cpp's LLAMA_FTYPE_ALL_F32
        w.put("actlab.pruning.method", GgufValue.string(String.join(" + ", q.steps())));
        w.write(out, progress);
    }

    static boolean isGguf(Path p) throws IOException {
        if (!Files.isRegularFile(p)) return false;
        try (var in = Files.newInputStream(p)) {
            byte[] b = in.readNBytes(4);
            return b.length == 4 && b[0] == 'G' && b[1] == 'G' && b[2] == 'U' && b[3] == 'F';
        }
    }
}
