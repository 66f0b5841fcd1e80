package dev.actlab.steer;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.steer.ActivationPatching.Positions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Activation patching on actlab's own decoder: the properties any correct patching must have. */
class ActivationPatchingTest {
    static LlamaModel model;
    static int[] clean, corrupt;
    static PatchMetric metric;

    @BeforeAll
    static void load() throws Exception {
        Path file = Path.of("models/actlab-brown.gguf");
        assumeTrue(Files.isRegularFile(file), "skipped: " + file + " is absent");
        model = ModelLoader.loadDecoder(file);
        clean = model.tokenizer().encode("When the man came home, he said that", true);
        corrupt = model.tokenizer().encode("When the woman came home, she said that", true);
        metric = PatchMetric.parse("logit_diff: he, she", model.tokenizer(), model.config().vocabSize());
    }

    @Test
    void theWholeResidualStreamRestoresTheCleanMetricExactly() {
        int L = model.layers();
        List<String> sites = List.of("blocks.0.hook_resid_pre", "blocks." + (L - 1) + ".hook_resid_post");
        var r = ActivationPatching.run(model, clean, corrupt, metric, sites, Positions.ALL, (d, t) -> {});
        assertNotEquals(r.clean(), r.corrupt(), "the pair must differ for the test to mean anything");
        for (int s = 0; s < sites.size(); s++) {
            assertEquals(r.clean(), r.patched()[s][0], sites.get(s) + ": the full residual stream carries everything");
            assertEquals(1.0, r.restored(s, 0), 1e-12);
        }
        assertEquals(ActivationPatching.metric(model, clean, Hooks.none(), metric), r.clean());
        assertEquals(ActivationPatching.metric(model, corrupt, Hooks.none(), metric), r.corrupt());
    }

    @Test
    void positionsBeforeTheFirstDifferenceChangeNothing() {
        int first = 0;
        while (clean[first] == corrupt[first]) first++;
        assertTrue(first >= 2, "the pair shares a prefix");
        List<String> sites = ActivationPatching.selectSites(model.sites(), List.of("blocks.*.hook_resid_pre", "blocks.*.hook_attn_out", "blocks.*.mlp.hook_post"));
        assertEquals(3 * model.layers(), sites.size());
        var r = ActivationPatching.run(model, clean, corrupt, metric, sites, Positions.EACH, (d, t) -> {});
        double anyEffect = 0;
        for (int s = 0; s < sites.size(); s++) {
            for (int p = 0; p < first; p++) assertEquals(r.corrupt(), r.patched()[s][p], sites.get(s) + " at " + p + ": causal attention, same prefix");
            for (int p = first; p < clean.length; p++) anyEffect = Math.max(anyEffect, Math.abs(r.effect(s, p)));
        }
        assertTrue(anyEffect > 0.1 * Math.abs(r.clean() - r.corrupt()), "later positions matter: " + anyEffect);
        // resid_pre of layer 0 is the token embedding: where the tokens agree, patching it changes nothing
        for (int p = 0; p < clean.length; p++)
            if (clean[p] == corrupt[p]) assertEquals(r.corrupt(), r.patched()[0][p], "blocks.0.hook_resid_pre at " + p);
            else assertNotEquals(r.corrupt(), r.patched()[0][p], "blocks.0.hook_resid_pre at " + p);
    }

    @Test
    void badRequestsAreOneLineErrors() {
        var e = assertThrows(IllegalArgumentException.class, () -> ActivationPatching.run(model, clean,
                java.util.Arrays.copyOf(corrupt, corrupt.length - 1), metric, List.of("blocks.0.hook_resid_pre"), Positions.EACH, (d, t) -> {}));
        assertTrue(e.getMessage().contains("same length"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ActivationPatching.selectSites(model.sites(), List.of("blocks.0.attn.hook_pattern")));
        assertTrue(e.getMessage().contains("[heads, q_pos, k_pos]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ActivationPatching.selectSites(model.sites(), List.of("blocks.*.hook_nothing")));
        assertTrue(e.getMessage().contains("matches no site"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PatchMetric.parse("logit_diff: the man, she", model.tokenizer(), 4096));
        assertTrue(e.getMessage().contains("not one"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PatchMetric.parse("logit_diff:#5000,#1", model.tokenizer(), 4096));
        assertTrue(e.getMessage().contains("outside the vocabulary"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PatchMetric.parse("accuracy:#1", model.tokenizer(), 4096));
        assertTrue(e.getMessage().contains("unknown metric"), e.getMessage());
    }
}
