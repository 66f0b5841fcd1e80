package dev.actlab.cli;

import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.llama.LlamaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The one place a --model argument becomes a model: minilm, a file or directory path, or, when --model
 * is omitted (null), actlab's own decoder models/actlab-brown.gguf beside the launcher (the
 * `actlab` script passes its directory as -Dactlab.home; otherwise the working directory).
 */
final class ModelRef {
    static final String DEFAULT_MODEL = "models/actlab-brown.gguf";
    static final String OPTIONAL = "Model file or directory (llama2.c .bin, GGUF, Hugging Face directory; default: actlab's own "
            + DEFAULT_MODEL + ").";

    private ModelRef() {}

    /** minilm or any model file/directory; without --model, the default decoder. */
    static HookedModel load(String spec) throws IOException { return spec == null ? decoder((String) null) : ModelLoader.load(spec); }

    static LlamaModel decoder(String spec) throws IOException { return ModelLoader.loadDecoder(path(spec)); }

    static LlamaModel decoder(Path spec) throws IOException { return decoder(spec == null ? null : spec.toString()); }

    /** The path --model names, or the default model's. */
    static Path path(String spec) throws IOException {
        if (spec != null) return Path.of(spec);
        Path p = Path.of(System.getProperty("actlab.home", ".")).resolve(DEFAULT_MODEL).normalize();
        if (!Files.isRegularFile(p)) throw new NoSuchFileException(p.toString(), null, "no --model given and the default model is not there");
        return p;
    }
}
