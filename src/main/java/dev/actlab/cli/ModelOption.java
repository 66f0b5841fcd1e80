package dev.actlab.cli;

import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import dev.actlab.model.load.TokenizerFiles;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** --model, shared by the commands that run a model: read by {@link ModelRef}; omitted, actlab's own decoder. */
final class ModelOption {
    @Option(names = "--model", descriptionKey = "model", description = "Model file or directory (llama2.c .bin, GGUF, Hugging Face directory; default: actlab's own "
            + ModelRef.DEFAULT_MODEL + ").") String model;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "The decoder's tokenizer from its own file, for checkpoints that carry none (llama2.c .bin) or in place of the model's: llama2.c's tokenizer.bin, a Hugging Face tokenizer.json, or a GGUF's tokenizer.") Path tokenizer;

    HookedModel load() throws IOException {
        HookedModel m = ModelRef.load(model);
        return tokenizer == null ? m : TokenizerFiles.attach(m, tokenizer);
    }

    LlamaModel decoder() throws IOException {
        LlamaModel m = ModelRef.decoder(model);
        return tokenizer == null ? m : TokenizerFiles.attach(m, tokenizer);
    }

    /** For commands that have no use for a tokenizer file; why says so. */
    void refuseTokenizer(String why) {
        if (tokenizer != null) throw new IllegalArgumentException("--tokenizer: " + why);
    }

    /** The model file, for reports: --model as given, or the default model's path. */
    Path path() throws IOException { return ModelRef.path(model); }
}
