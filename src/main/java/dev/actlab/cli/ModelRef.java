package dev.actlab.cli;

import dev.actlab.model.HookedModel;
import dev.actlab.model.ModelLoader;
import java.io.IOException;
import java.nio.file.Path;

/** The one place a --model argument becomes a model: a file or directory path. */
final class ModelRef {
    private ModelRef() {}

    static HookedModel load(String spec) throws IOException {
        return ModelLoader.loadDecoder(Path.of(spec));
    }
}
