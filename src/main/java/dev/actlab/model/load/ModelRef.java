package dev.actlab.model.load;

import dev.actlab.model.bert.BertModel;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.RandomLlama;
import dev.actlab.tensor.VectorModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The one place a --model argument becomes a model: {@code minilm}, a file or directory path,
 * {@code random:SHAPE} (random weights in a named shape, see RandomLlama), or, when --model is
 * omitted (null), actlab's own decoder models/actlab-en.gguf beside the launcher (the
 * `actlab` script passes its directory as -Dactlab.home; otherwise the working directory).
 */
public final class ModelRef {
    public static final String DEFAULT_MODEL = "models/actlab-en.gguf";
    public static final String RANDOM = "random:";
    /** The seed of random:SHAPE weights where a command has no --seed. */
    public static final long RANDOM_SEED = 1;

    private ModelRef() {}

    /** minilm or any model file/directory or random:SHAPE; without --model, the default decoder. */
    public static HookedModel load(String spec) throws IOException {
        VectorModule.require();
        return spec == null || isRandom(spec) ? decoder(spec) : ModelLoader.load(spec);
    }

    public static LlamaModel decoder(String spec) throws IOException { return decoder(spec, RANDOM_SEED); }

    /** A decoder; random:SHAPE draws its weights from seed. */
    public static LlamaModel decoder(String spec, long seed) throws IOException {
        VectorModule.require();
        if (spec != null && isRandom(spec)) return RandomLlama.create(spec.substring(RANDOM.length()), seed);
        if (spec != null && obviouslyEncoder(spec))
            throw new IllegalArgumentException(spec + " is an encoder (BERT): it gives embeddings, not next-token logits; use `actlab embed --model "
                    + spec + "`, or give a decoder (GGUF, llama2.c .bin, Hugging Face Llama directory)");
        return ModelLoader.loadDecoder(path(spec));
    }

    /** minilm, a BERT .onnx file, a Hugging Face BERT directory or a bert GGUF. */
    public static BertModel encoder(String spec) throws IOException { VectorModule.require(); return ModelLoader.loadEncoder(spec); }

    /** True when spec names an encoder (read by content: a directory's config, a GGUF's architecture). */
    public static boolean isEncoder(String spec) throws IOException { return !isRandom(spec) && ModelLoader.isEncoder(spec); }

    /** minilm, a .onnx file or a Hugging Face BERT directory: known without opening a weights file (a GGUF's own loader names its architecture). */
    private static boolean obviouslyEncoder(String spec) throws IOException {
        if (spec.equals(ModelLoader.MINILM) || spec.endsWith(".onnx")) return true;
        Path p = Path.of(spec);
        return Files.isDirectory(p) && dev.actlab.model.hf.HfBertLoader.isBert(p);
    }

    public static boolean isRandom(String spec) { return spec.startsWith(RANDOM); }

    /** The path --model names, or the default model's. */
    public static Path path(String spec) throws IOException {
        if (spec != null) return Path.of(spec);
        Path p = Path.of(System.getProperty("actlab.home", ".")).resolve(DEFAULT_MODEL).normalize();
        if (!Files.isRegularFile(p)) throw new NoSuchFileException(p.toString(), null, "no --model given and the default model is not there");
        return p;
    }
}
