package dev.actlab.cli;

import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.tokenizer.Tokenizer;

/** A model's tokenizer, or an error saying that its file carries none. */
final class TokenizerOf {
    private TokenizerOf() {}

    static Tokenizer model(HookedModel m) {
        if (m.tokenizer() == null)
            throw new IllegalArgumentException(m.source() + " has no tokenizer (llama2.c checkpoints carry none); use a GGUF or a Hugging Face directory with tokenizer.json");
        return m.tokenizer();
    }
}
