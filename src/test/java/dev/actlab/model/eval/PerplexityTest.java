package dev.actlab.model.eval;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.testutil.Shared;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerplexityTest {
    @TempDir Path dir;

    @Test
    void perplexityEqualsTheOneComputedFromTheCOriginalsLogits() throws Exception {
        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        int[] tokens = Shared.tokens(Shared.require("reference/stories260K/seq2.tokens.txt"));
        float[] ref = Shared.f32(Shared.require("reference/stories260K/seq2.logits.f32"));
        int V = 512;
        double nll = 0;
        for (int t = 0; t + 1 < tokens.length; t++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < V; i++) max = Math.max(max, ref[t * V + i]);
            for (int i = 0; i < V; i++) sum += Math.exp(ref[t * V + i] - max);
            nll -= ref[t * V + tokens[t + 1]] - max - Math.log(sum);
        }
        double expected = Math.exp(nll / (tokens.length - 1));
        PerplexityResult r = Perplexity.run(m, tokens, 512, Hooks.none(), null, null, null);
        assertEquals(tokens.length - 1, r.scoredTokens());
        assertEquals(expected, r.perplexity(), expected * 1e-5);
    }

    @Test
    void klAgainstSavedLogitsIsZeroForTheSameModelAndPositiveForAPerturbedOne() throws Exception {
        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        int[] tokens = Shared.tokens(Shared.require("reference/stories260K/greedy64.tokens.txt"));
        Path base = dir.resolve("base.f32");
        try (SavedLogits.Writer w = new SavedLogits.Writer(base, 512)) {
            Perplexity.run(m, tokens, 32, Hooks.none(), w, null, null);
            w.commit();
        }
        PerplexityResult same = Perplexity.run(m, tokens, 32, Hooks.none(), null, SavedLogits.open(base), null);
        assertEquals(0, same.kl().meanKl(), 1e-9);
        assertEquals(1.0, same.kl().sameTop1());
        assertEquals(same.perplexity(), same.kl().basePerplexity(), 1e-9);

        Hooks ablate = Hooks.of("blocks.4.hook_mlp_out", a -> java.util.Arrays.fill(a.data, 0f));
        PerplexityResult perturbed = Perplexity.run(m, tokens, 32, ablate, null, SavedLogits.open(base), null);
        assertTrue(perturbed.kl().meanKl() > 1e-3, "KL " + perturbed.kl().meanKl());
        assertTrue(perturbed.kl().maxKl() >= perturbed.kl().p99Kl());
        assertNotEquals(same.perplexity(), perturbed.perplexity());

        assertThrows(IllegalArgumentException.class, () -> Perplexity.run(m, tokens, 16, Hooks.none(), null, SavedLogits.open(base), null));
    }

    /** Issue 23: ppl --save-logits DIR used to compute everything, then fail and leave DIR.json; now it is refused up front. */
    @Test
    void savingLogitsOverADirectoryIsRefusedBeforeTheRun() throws Exception {
        Path target = java.nio.file.Files.createDirectories(dir.resolve("logits"));
        java.nio.file.FileSystemException e = assertThrows(java.nio.file.FileSystemException.class, () -> new SavedLogits.Writer(target, 512));
        assertTrue(e.getMessage().endsWith("is a directory: give the path of a file to write"), e.getMessage());
        try (var files = java.nio.file.Files.list(dir)) { assertEquals(1, files.count(), "no .part, no sidecar"); }
    }

    /** Issue 23: a garbage sidecar gave a bare Jackson message (or a ClassCastException) without the file name. */
    @Test
    void aGarbageSidecarNamesTheFile() throws Exception {
        Path base = dir.resolve("base.f32");
        java.nio.file.Files.write(base, new byte[512 * 4]);
        String[][] cases = {{"{not json", "(json)"}, {"{\"vocab\": 512, \"targets\": [\"x\"]}", "targets[0]"},
                {"{\"vocab\": 512, \"targets\": [600]}", "targets[0]"}, {"{\"vocab\": \"512\", \"targets\": []}", "vocab/targets"}, {"null", "(json)"}};
        for (String[] c : cases) {
            java.nio.file.Files.writeString(dir.resolve("base.f32.json"), c[0]);
            dev.actlab.io.FormatException e = assertThrows(dev.actlab.io.FormatException.class, () -> SavedLogits.open(base), c[0]);
            assertEquals(c[1], e.field(), c[0]);
            assertTrue(e.getMessage().startsWith(dir.resolve("base.f32.json") + ": "), e.getMessage());
        }
    }
}
