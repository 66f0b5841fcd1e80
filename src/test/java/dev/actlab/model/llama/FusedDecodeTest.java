package dev.actlab.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.load.ModelRef;
import dev.actlab.tensor.KernelChoice;
import dev.actlab.tensor.Parallel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Decode with fewer parallel regions (gate, up and SiLU in one; Q, K, V in one) gives the logits of
 * the separate matmuls bit for bit, at 1 and 2 threads, on the default decoder; a hook at hook_pre
 * still sees the gate's output (the fused region is skipped when one listens there).
 */
class FusedDecodeTest {
    private static final int[] PROMPT = {5, 17, 300, 41, 9, 1000, 77};

    @Test
    void fusedRegionsGiveTheBitsOfTheSeparateMatmuls() throws Exception {
        LlamaModel m = ModelLoader.loadDecoder(Path.of(ModelRef.DEFAULT_MODEL));
        assertTrue(dev.actlab.tensor.MatmulGroup.fusable(m.weights().wGate()[0], m.weights().wUp()[0], m.weights().wq()[0]), "the fused path is taken");
        boolean mlp = KernelChoice.fusedMlp, qkv = KernelChoice.fusedDecode;
        try {
            float[] reference = null;
            for (int threads : new int[]{1, 2}) {
                try (Parallel p = new Parallel(threads)) {
                    m.withParallel(p);
                    for (boolean fused : new boolean[]{false, true}) {
                        KernelChoice.fusedMlp = fused; KernelChoice.fusedDecode = fused;
                        float[] logits = decode(m, Hooks.none());
                        if (reference == null) reference = logits;
                        else assertArrayEquals(reference, logits, "fused " + fused + ", " + threads + " threads");
                    }
                }
            }
        } finally {
            KernelChoice.fusedMlp = mlp; KernelChoice.fusedDecode = qkv;
            m.withParallel(Parallel.shared());
        }
    }

    @Test
    void hookAtMlpPreSeesTheGateDuringDecode() throws Exception {
        LlamaModel m = ModelLoader.loadDecoder(Path.of(ModelRef.DEFAULT_MODEL));
        float[][] normalized = new float[1][], gate = new float[1][];
        Hooks h = Hooks.of("blocks.1.ln2.hook_normalized", a -> normalized[0] = a.data.clone())
                .add("blocks.1.mlp.hook_pre", a -> gate[0] = a.data.clone());
        assertArrayEquals(decode(m, Hooks.none()), decode(m, h), "reading hooks change nothing");
        // the last decoded token's gate output, computed independently: (normalized x ln2 weight) W_gate^T
        float[] xb = normalized[0].clone(), want = new float[gate[0].length];
        float[] weight = m.weights().ffnNorm()[1];
        for (int i = 0; i < xb.length; i++) xb[i] *= weight[i];
        try (Parallel p = new Parallel(1)) { m.weights().wGate()[1].matmul(xb, 1, want, p); }
        assertArrayEquals(want, gate[0]);
    }

    /** Prefill of the prompt, then 6 greedy decode steps; returns the last logits. */
    private static float[] decode(LlamaModel m, Hooks hooks) {
        KvCache cache = m.newCache();
        float[] logits = m.forward(cache, PROMPT, hooks, false);
        for (int i = 0; i < 6; i++) {
            int best = 0;
            for (int v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
            logits = m.forward(cache, new int[]{best}, hooks, false);
        }
        return logits;
    }
}
