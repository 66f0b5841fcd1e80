package dev.actlab.cli;

import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.hook.Hooks;
import dev.actlab.steer.ControlVector;
import dev.actlab.steer.Steering;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/**
 * llama.cpp's control-vector flags, with llama.cpp's syntax and meaning, plus directional ablation:
 * a picocli mixin for every command that runs a decoder. The work is {@link Steering}'s.
 */
final class ControlVectorOptions {
    @Option(names = "--control-vector", paramLabel = "FILE[,FILE...]", hideParamSyntax = true, split = ",",
            description = "llama.cpp control vector(s) at scale 1 (comma-separated, repeatable). A control-vector GGUF holds one F32 tensor direction.N [n_embd] per layer N (from 1); direction.N is added, raw (not normalised), to the output of layer N, blocks.N.hook_resid_post, at every position. Several files are summed. Same files, same numbers as llama.cpp.")
    List<Path> vectors = new ArrayList<>();

    @Option(names = "--control-vector-scaled", paramLabel = "FILE:SCALE[,...]", hideParamSyntax = true, split = ",",
            description = "As --control-vector, each file's directions times SCALE (repeatable).")
    List<String> scaled = new ArrayList<>();

    @Option(names = "--control-vector-layer-range", arity = "2", paramLabel = "START END", hideParamSyntax = true,
            description = "Apply the control vectors to layers START..END only, inclusive (default 1 and the layer count; a value <= 0 means its default, as in llama.cpp). Layer 0 is never steered.")
    int[] layerRange;

    @Option(names = "--ablate-direction", paramLabel = "FILE[:N]",
            description = "Directional ablation: x - (x.v)v with v the unit direction.N of a control-vector GGUF (N may be left out when the file has one direction), at every residual-stream site (blocks.0.hook_resid_pre and every layer's hook_resid_mid and hook_resid_post), every position; done before control vectors are added.")
    String ablate;

    private Steering built;

    /** The steering these flags ask for (empty when none is given); the files are read once. */
    Steering steering() throws IOException {
        if (built == null) built = build();
        return built;
    }

    private Steering build() throws IOException {
        Steering s = new Steering();
        for (Path p : vectors) s.add(ControlVector.read(p), 1f);
        for (String item : scaled) {
            String[] parts = item.split(":", -1);
            if (parts.length != 2 || parts[0].isEmpty())
                throw new IllegalArgumentException("--control-vector-scaled \"" + item + "\": expected FILE:SCALE");
            float scale;
            try { scale = Float.parseFloat(parts[1]); }
            catch (NumberFormatException e) { throw new IllegalArgumentException("--control-vector-scaled \"" + item + "\": SCALE \"" + parts[1] + "\" is not a number"); }
            s.add(ControlVector.read(Path.of(parts[0])), scale);
        }
        if (layerRange != null) {
            if (s.vectors().isEmpty()) throw new IllegalArgumentException("--control-vector-layer-range needs --control-vector or --control-vector-scaled");
            s.layerRange(layerRange[0], layerRange[1]);
        }
        if (ablate != null) {
            String file = ablate;
            Integer layer = null;
            int colon = ablate.lastIndexOf(':');
            if (colon > 0 && ablate.substring(colon + 1).matches("\\d+")) {
                file = ablate.substring(0, colon);
                layer = Integer.parseInt(ablate.substring(colon + 1));
            }
            ControlVector v = ControlVector.read(Path.of(file));
            s.ablate(v, layer);
        }
        return s;
    }

    /** The steering's hooks on model (Hooks.none() when no flag is given). */
    Hooks hooks(HookedModel model) throws IOException {
        Steering s = steering();
        return s.isEmpty() ? Hooks.none() : s.hooks(model);
    }

    /** What adds the steering's hooks (checked against model), or null when no flag is given. */
    Consumer<Hooks> interventions(HookedModel model) throws IOException { return given() ? steering().bind(model) : null; }

    boolean given() { return !vectors.isEmpty() || !scaled.isEmpty() || ablate != null || layerRange != null; }

    /** JSON description, or null when no flag is given. */
    Map<String, Object> describe(HookedModel model) throws IOException { return given() ? steering().describe(model) : null; }
}
