package dev.actlab.model.hook;

import static org.junit.jupiter.api.Assertions.*;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class SiteSuggestionsTest {
    private final SiteTable table = new SiteTable(5, EnumSet.of(HookSite.EMBED, HookSite.RESID_PRE, HookSite.RESID_MID,
            HookSite.RESID_POST, HookSite.ATTN_OUT, HookSite.MLP_OUT, HookSite.MLP_POST));

    @Test
    void aMisspeltGlobSuggestsTheFamilyOnce() {
        List<String> n = SiteSuggestions.nearest(table, "blocks.*.hook_resid_pots", 3);
        assertEquals("blocks.*.hook_resid_post", n.get(0));
        assertEquals(3, n.size());
        assertEquals(3, n.stream().distinct().count());
    }

    @Test
    void aLayerTheModelLacksSuggestsTheSameSiteInItsLayers() {
        List<String> n = SiteSuggestions.nearest(table, "blocks.7.hook_resid_post", 2);
        assertTrue(n.get(0).endsWith("hook_resid_post"), n.toString());
        String msg = SiteSuggestions.noMatch("--sites", "blocks.7.hook_resid_post", "m.gguf", table);
        assertTrue(msg.startsWith("--sites blocks.7.hook_resid_post matches no site of m.gguf (5 blocks, layers 0..4); nearest: blocks."), msg);
        assertTrue(msg.contains("actlab sites"), msg);
    }

    @Test
    void requireMatchPassesWhenAnySiteMatches() {
        SiteSuggestions.requireMatch("--sites", "blocks.*.hook_mlp_out", "m", table);
        SiteSuggestions.requireMatch("--sites", "hook_embed", "m", table);
        var e = assertThrows(IllegalArgumentException.class, () -> SiteSuggestions.requireMatch("--sites", "hook_embd", "m", table));
        assertTrue(e.getMessage().contains("nearest: hook_embed"), e.getMessage());
    }

    @Test
    void editDistance() {
        assertEquals(0, dev.actlab.io.EditDistance.of("abc", "abc"));
        assertEquals(2, dev.actlab.io.EditDistance.of("pots", "post"));
        assertEquals(3, dev.actlab.io.EditDistance.of("", "abc"));
    }
}
