package dev.actlab.cli;

import dev.actlab.model.HookedModel;
import dev.actlab.model.ModelLoader;
import java.io.IOException;

/** The one place a --model argument becomes a model: minilm, or a file or directory path. */
final class ModelRef {
    private ModelRef() {}

    static HookedModel load(String spec) throws IOException {
        return ModelLoader.load(spec);
    }
}
