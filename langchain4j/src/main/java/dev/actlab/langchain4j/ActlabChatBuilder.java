package dev.actlab.langchain4j;

import dev.actlab.io.FormatException;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import dev.actlab.steer.ControlVector;
import dev.actlab.steer.Steering;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Settings shared by {@link ActlabChatModel} and {@link ActlabStreamingChatModel}. Without a model,
 * actlab's default decoder models/actlab-en.gguf (beside -Dactlab.home, else the working
 * directory). Defaults: 64 tokens, greedy (temperature 0), top-p 0.9, seed 42, as `actlab run`.
 * A control vector is added at its layers' hook_resid_post, as llama.cpp's --control-vector-scaled,
 * before the given hooks run (so they see the steered activations).
 */
public final class ActlabChatBuilder<M> {
    private final Function<DecoderChat, M> make;
    private LlamaModel model;
    private Path modelPath;
    private Hooks hooks = Hooks.none();
    private ControlVector controlVector;
    private float controlVectorScale = 1f;
    private int maxTokens = 64;
    private double temperature = 0, topP = 0.9;
    private long seed = 42;

    ActlabChatBuilder(Function<DecoderChat, M> make) { this.make = make; }

    public ActlabChatBuilder<M> model(LlamaModel model) { this.model = model; return this; }
    /** A decoder file or directory (GGUF, llama2.c .bin, Hugging Face Llama directory). */
    public ActlabChatBuilder<M> modelPath(Path path) { this.modelPath = path; return this; }
    public ActlabChatBuilder<M> hooks(Hooks hooks) { this.hooks = hooks; return this; }
    public ActlabChatBuilder<M> controlVector(ControlVector v) { return controlVector(v, 1f); }
    public ActlabChatBuilder<M> controlVector(ControlVector v, float scale) { this.controlVector = v; this.controlVectorScale = scale; return this; }
    public ActlabChatBuilder<M> maxTokens(int n) { this.maxTokens = n; return this; }
    public ActlabChatBuilder<M> temperature(double t) { this.temperature = t; return this; }
    public ActlabChatBuilder<M> topP(double p) { this.topP = p; return this; }
    public ActlabChatBuilder<M> seed(long s) { this.seed = s; return this; }

    public M build() {
        try {
            LlamaModel m = model != null ? model : ModelRef.decoder(modelPath == null ? null : modelPath.toString());
            return make.apply(new DecoderChat(m, allHooks(m), maxTokens, temperature, topP, seed));
        } catch (IOException e) { throw new UncheckedIOException(e); }
    }

    private Hooks allHooks(LlamaModel m) throws FormatException {
        if (controlVector == null) return hooks;
        return new Steering().add(controlVector, controlVectorScale).hooks(m).addAll(hooks);
    }
}
