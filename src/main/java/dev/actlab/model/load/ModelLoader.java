package dev.actlab.model.load;

import dev.actlab.io.FormatException;
import dev.actlab.model.hook.HookedModel;

import dev.actlab.model.bert.BertModel;
import dev.actlab.model.onnx.MiniLm;
import dev.actlab.model.gguf.GgufBertLoader;
import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufLlamaLoader;
import dev.actlab.model.hf.HfBertLoader;
import dev.actlab.model.hf.HfLlamaLoader;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.TwoFourCompression;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.tensor.VectorModule;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Opens a model from a --model argument, choosing the reader by the file's content, not its name. */
public final class ModelLoader {
    /** The built-in encoder, read from the all-MiniLM-L6-v2 Maven artifact on the classpath. */
    public static final String MINILM = "minilm";

    private ModelLoader() {}

    /**
     * Any model actlab runs: {@code minilm}, a BERT .onnx file or Hugging Face BERT directory
     * (encoders), or a llama2.c, GGUF or Hugging Face Llama-family checkpoint (decoders).
     */
    public static HookedModel load(String spec) throws IOException {
        VectorModule.require();
        return isEncoder(spec) ? loadEncoder(spec) : loadDecoder(Path.of(spec));
    }

    public static boolean isEncoder(String spec) throws IOException {
        if (spec.equals(MINILM)) return true;
        Path p = Path.of(spec);
        if (Files.isDirectory(p)) return HfBertLoader.isBert(p);
        if (isGguf(p)) return "bert".equals(GgufFile.open(p).string("general.architecture", null));
        return spec.endsWith(".onnx");
    }

    public static BertModel loadEncoder(String spec) throws IOException {
        VectorModule.require();
        if (spec.equals(MINILM)) return MiniLm.load();
        Path p = Path.of(spec);
        if (Files.isDirectory(p)) return HfBertLoader.load(p);
        if (isGguf(p)) return GgufBertLoader.load(p);
        if (!Files.isRegularFile(p)) throw new NoSuchFileException(spec, null, "use minilm, a BERT .onnx file or a Hugging Face BERT directory");
        return MiniLm.load(p);
    }

    /** A decoder, its 2:4-sparse float32 block matrices stored compressed unless -Dactlab.twoFour=off (see TwoFourCompression). */
    public static LlamaModel loadDecoder(Path path) throws IOException { return loadDecoder(path, TwoFourCompression.enabled()); }

    /** A decoder; compressTwoFour: store its 2:4-sparse float32 block matrices compressed (false: every matrix as stored). */
    public static LlamaModel loadDecoder(Path path, boolean compressTwoFour) throws IOException {
        LlamaModel m = loadDecoderAsStored(path);
        return compressTwoFour ? TwoFourCompression.apply(m).model() : m;
    }

    private static LlamaModel loadDecoderAsStored(Path path) throws IOException {
        VectorModule.require();
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "model file not found");
        if (Files.isDirectory(path)) {
            if (!HfLlamaLoader.looksLikeCheckpoint(path))
                throw new FormatException(path, "config.json", 0, "the directory has no config.json (expected a Hugging Face checkpoint)");
            return HfLlamaLoader.load(path);
        }
        return isGguf(path) ? GgufLlamaLoader.load(path) : Llama2cReader.read(path);
    }

    /** True for a regular file that starts with the GGUF magic. */
    private static boolean isGguf(Path p) throws IOException {
        if (!Files.isRegularFile(p)) return false;
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(p)) {
            return in.readNBytes(magic, 0, 4) == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
        }
    }
}
