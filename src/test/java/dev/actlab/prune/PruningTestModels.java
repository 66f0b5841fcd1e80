package dev.actlab.prune;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.quant.Calibration;
import dev.actlab.quant.Linear;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The real model the pruning tests run on, English calibration text, and inputs captured through plain hooks. */
final class PruningTestModels {
    private PruningTestModels() {}

    static final String TEXT = """
            The committee met on Tuesday to discuss the budget for the coming year. Several members said that the
            schools needed more money, while others argued that taxes were already too high. After a long debate,
            the chairman proposed a compromise: the county would borrow part of the money and raise the rest from
            a small increase in the sales tax. The proposal was adopted by a vote of seven to four.
            In the afternoon the weather turned cold, and a light rain began to fall over the city. People hurried
            home from work, their collars turned up against the wind. In the old house on the hill, a woman sat by
            the window and watched the lights come on one by one. She had lived there for forty years, and she
            remembered when the streets were quiet and the trees were young. Her son would come on Sunday, she
            thought, and they would talk about the farm and the war and the price of wheat.
            """;

    /** actlab's default decoder; skips when absent. */
    static LlamaModel brown() throws IOException {
        Path p = Path.of("models/actlab-brown.gguf");
        assumeTrue(Files.isRegularFile(p), "skipped: " + p.toAbsolutePath() + " is absent");
        return ModelLoader.loadDecoder(p);
    }

    /** Three windows of 64 tokens of TEXT. */
    static Calibration calibration(LlamaModel m) {
        return Calibration.of(m.tokenizer().encode(TEXT, false), m.tokenizer().bosId(), 64, 3);
    }

    /**
     * The rows a projection of one layer multiplies, over every window of calib ([tokens, cols] rows, in
     * window order), captured by a hook on the model's own site: the hooked activation, times the norm
     * weight where a norm precedes the projection. Written here, apart from quant's Calibration.
     */
    static float[][] inputs(LlamaModel m, Calibration calib, int layer, Linear lin) {
        List<float[]> rows = new ArrayList<>();
        float[] g = switch (lin) {
            case Q, K, V -> m.weights().attnNorm()[layer];
            case GATE, UP -> m.weights().ffnNorm()[layer];
            default -> null;
        };
        HookSite site = switch (lin) {
            case Q, K, V -> HookSite.LN1_NORMALIZED;
            case GATE, UP -> HookSite.LN2_NORMALIZED;
            case O -> HookSite.ATTN_Z;
            case DOWN -> HookSite.MLP_POST;
        };
        Hooks hooks = Hooks.of(site.nameAt(layer), a -> {
            float[] x = a.toArray();
            int n = a.shape[0], cols = x.length / n;
            for (int t = 0; t < n; t++) {
                float[] r = new float[cols];
                for (int j = 0; j < cols; j++) r[j] = g == null ? x[t * cols + j] : x[t * cols + j] * g[j];
                rows.add(r);
            }
        });
        for (int i = 0; i < calib.windows(); i++) m.run(calib.window(i), hooks);
        return rows.toArray(new float[0][]);
    }
}
