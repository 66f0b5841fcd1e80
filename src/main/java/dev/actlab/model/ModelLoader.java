package dev.actlab.model;

import dev.actlab.model.gguf.GgufLlamaLoader;
import dev.actlab.model.hf.HfLlamaLoader;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Opens a decoder from a path, choosing the reader by the file's content, not its name. */
public final class ModelLoader {
    private ModelLoader() {}

    public static LlamaModel loadDecoder(Path path) throws IOException {
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "model file not found");
        if (Files.isDirectory(path)) {
            if (!HfLlamaLoader.looksLikeCheckpoint(path))
                throw new FormatException(path, "config.json", 0, "the directory has no config.json (expected a Hugging Face checkpoint)");
            return HfLlamaLoader.load(path);
        }
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(path)) {
            int n = in.readNBytes(magic, 0, 4);
            if (n == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F')
                return GgufLlamaLoader.load(path);
        }
        return Llama2cReader.read(path);
    }
}
