package dev.actlab.model.load;

import dev.actlab.io.FormatException;
import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.tokenizer.GgufTokenizers;
import dev.actlab.model.tokenizer.HfTokenizerJson;
import dev.actlab.model.tokenizer.Llama2cTokenizerFile;
import dev.actlab.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A tokenizer from its own file, for checkpoints that carry none (llama2.c's .bin) or to replace a
 * model's own: llama2.c's tokenizer.bin, a Hugging Face tokenizer.json, or the tokenizer inside a
 * GGUF. The format is told by content (GGUF magic, a JSON object), not by the file's name.
 */
public final class TokenizerFiles {
    private TokenizerFiles() {}

    public static Tokenizer read(Path file) throws IOException {
        if (Files.isDirectory(file)) file = file.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "tokenizer file not found");
        byte[] head = new byte[4];
        int n;
        try (InputStream in = Files.newInputStream(file)) { n = in.readNBytes(head, 0, 4); }
        if (n == 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') {
            GgufFile g = GgufFile.open(file);
            if (!g.metadata().containsKey("tokenizer.ggml.model"))
                throw new FormatException(file, "tokenizer.ggml.model", 0, "is missing: this GGUF carries no tokenizer");
            return GgufTokenizers.fromMetadata(g.metadata(), file);
        }
        if (n > 0 && firstNonSpace(file) == '{') return HfTokenizerJson.load(file);
        return Llama2cTokenizerFile.read(file);
    }

    /** The decoder with the tokenizer of file in place of its own; the vocabulary must fit the model's. */
    public static LlamaModel attach(LlamaModel model, Path file) throws IOException {
        Tokenizer t = read(file);
        if (t.vocabSize() > model.vocabSize())
            throw new FormatException(file, "(vocabulary)", 0, "has " + t.vocabSize() + " tokens but the model " + model.source()
                    + " has a vocabulary of " + model.vocabSize() + ": it is not this model's tokenizer");
        return new LlamaModel(model.config(), model.weights(), t, model.source()).withParallel(model.parallel());
    }

    /** As attach, for any model: an encoder reads its vocabulary from its own files. */
    public static HookedModel attach(HookedModel model, Path file) throws IOException {
        if (model instanceof LlamaModel m) return attach(m, file);
        throw new IllegalArgumentException("--tokenizer applies to decoders; " + model.source() + " is an encoder (" + model.architecture() + ") with its own vocabulary");
    }

    private static int firstNonSpace(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            for (int c = in.read(); c >= 0; c = in.read()) if (!Character.isWhitespace(c) && c != 0xEF && c != 0xBB && c != 0xBF) return c;
            return -1;
        }
    }
}
