package dev.actlab.prune;

import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufLlamaWriter;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.tensor.DType;
import java.nio.file.Path;

/**
 * Writes a decoder pruned 2:4 by magnitude (MagnitudePruning) as an F32 GGUF with the tokenizer of a GGUF
 * input: the 2:4 files of the README's figures, until `actlab prune --nm 2:4` does this. Not a test. Run:
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes:target/lib/* dev.actlab.prune.TwoFourPruneFile IN.gguf OUT.gguf
 */
public final class TwoFourPruneFile {
    public static void main(String[] args) throws Exception {
        Path in = Path.of(args[0]), out = Path.of(args[1]);
        LlamaModel pruned = MagnitudePruning.prune(ModelLoader.loadDecoder(in, false), PruningPattern.nm("2:4"));
        GgufWriter w = GgufLlamaWriter.export(pruned, DType.F32, pruned.source());
        GgufFile.open(in).entries().forEach((k, v) -> { if (k.startsWith("tokenizer.")) w.put(k, v); });
        w.write(out);
        System.out.println("wrote " + out);
    }
}
