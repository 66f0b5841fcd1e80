package dev.actlab.cli;

import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** --model, shared by the commands that run a model: read by {@link ModelRef}; omitted, actlab's own decoder. */
final class ModelOption {
    @Option(names = "--model", descriptionKey = "model", description = "Model file or directory (llama2.c .bin, GGUF, Hugging Face directory; default: actlab's own "
            + ModelRef.DEFAULT_MODEL + ").") String model;

    HookedModel load() throws IOException { return ModelRef.load(model); }

    LlamaModel decoder() throws IOException { return ModelRef.decoder(model); }

    /** The model file, for reports: --model as given, or the default model's path. */
    Path path() throws IOException { return ModelRef.path(model); }
}
