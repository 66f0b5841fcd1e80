package dev.actlab.capture;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.ActivationCache;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.tensor.DType;
import dev.actlab.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ActivationCaptureTest {
    @TempDir Path dir;

    static final Predicate<String> SITES = Hooks.glob("blocks.*.hook_resid_post").or(Hooks.glob("blocks.1.attn.hook_q"));

    static int[] input() throws Exception {
        int[] a = Shared.tokens(Shared.require("reference/stories260K/greedy64.tokens.txt"));
        int[] b = Shared.tokens(Shared.require("reference/stories260K/seq1.tokens.txt"));
        int[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;   // 85 tokens
    }

    @Test
    void readBackReturnsExactlyTheCachedTensors() throws Exception {
        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        int[] tokens = input();
        int ctx = 20;
        CaptureManifest man = new ActivationCapture(m, SITES, ctx, 30, DType.F32).run(tokens, dir, null);
        assertTrue(man.complete);
        assertEquals(tokens.length, man.rows);
        assertTrue(man.shards.size() >= 2, "several shards");
        ActivationStore store = ActivationStore.open(dir);
        assertEquals(6, store.manifest().sites.size());
        for (int w = 0; w * ctx < tokens.length; w++) {
            int[] window = Arrays.copyOfRange(tokens, w * ctx, Math.min(tokens.length, (w + 1) * ctx));
            ActivationCache cache = m.runWithCache(window, SITES);
            for (String site : cache.names()) {
                float[] expected = cache.get(site).toArray();
                float[] got = store.rows(site, (long) w * ctx, window.length);
                assertArrayEquals(expected, got, site + " window " + w);
            }
            for (int t = 0; t < window.length; t++) assertEquals(window[t], store.tokenId((long) w * ctx + t));
        }
    }

    @Test
    void anInterruptedCaptureResumesWithoutDuplicatesOrGaps() throws Exception {
        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        int[] tokens = input();
        Path whole = dir.resolve("whole"), resumed = dir.resolve("resumed");
        new ActivationCapture(m, SITES, 16, 20, DType.F32).run(tokens, whole, null);

        class Interrupt extends RuntimeException {}
        assertThrows(Interrupt.class, () -> new ActivationCapture(m, SITES, 16, 20, DType.F32)
                .run(tokens, resumed, (done, total) -> { if (done == 4) throw new Interrupt(); }));
        CaptureManifest partial = CaptureManifest.read(resumed);
        assertFalse(partial.complete);
        assertTrue(partial.windowsDone > 0 && partial.windowsDone < partial.windowsTotal);
        Files.writeString(resumed.resolve("shard-00009.safetensors.123.part"), "half-written");

        CaptureManifest done = new ActivationCapture(m, SITES, 16, 20, DType.F32).run(tokens, resumed, null);
        assertTrue(done.complete);
        ActivationStore a = ActivationStore.open(whole), b = ActivationStore.open(resumed);
        assertEquals(a.rows(), b.rows());
        assertEquals(a.manifest().shards, b.manifest().shards);
        for (CaptureManifest.Site s : a.manifest().sites)
            assertArrayEquals(a.rows(s.name(), 0, (int) a.rows()), b.rows(s.name(), 0, (int) b.rows()), s.name());
        try (var files = Files.list(resumed)) {
            assertTrue(files.noneMatch(p -> p.toString().endsWith(".part")), "no temp files left");
        }
    }

    @Test
    void resumingWithOtherSettingsIsRefusedAndShuffleIsAPermutation() throws Exception {
        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        int[] tokens = input();
        new ActivationCapture(m, SITES, 16, 20, DType.F16).run(tokens, dir, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ActivationCapture(m, Hooks.glob("hook_embed"), 16, 20, DType.F16).run(tokens, dir, null));
        assertTrue(e.getMessage().contains("already holds"), e.getMessage());

        ActivationStore s = ActivationStore.open(dir);
        long[] order = s.shuffledOrder(7);
        assertArrayEquals(order, s.shuffledOrder(7));
        assertFalse(Arrays.equals(order, s.shuffledOrder(8)));
        Set<Long> seen = new HashSet<>();
        for (long r : order) seen.add(r);
        assertEquals(s.rows(), seen.size());
        // F16 storage: within half precision of the exact values
        float[] exact = m.runWithCache(Arrays.copyOf(tokens, 16), Hooks.glob("blocks.4.hook_resid_post")).get("blocks.4.hook_resid_post").toArray();
        float[] stored = s.rows("blocks.4.hook_resid_post", 0, 16);
        for (int i = 0; i < exact.length; i++) assertEquals(exact[i], stored[i], Math.abs(exact[i]) * 1e-3 + 1e-4);
    }

    /**
     * Attention sites are stored one row per query position, [rows, heads, ctx]: every row must
     * equal the [heads, q, k] tensor that a direct hook sees for that window (windows of 16 over 85
     * tokens, so the last one is short and padded), pattern rows sum to 1 over keys <= query, and
     * keys past the query are 0 in the pattern and -inf in the scores.
     */
    @Test
    void attentionPatternsAndScoresAreStoredOneRowPerQueryAcrossWindows() throws Exception {
        LlamaModel m = Llama2cReader.read(Shared.stories260K());
        int[] tokens = input();
        int ctx = 16, heads = m.config().heads();
        Predicate<String> sites = Hooks.glob("blocks.1.attn.hook_pattern").or(Hooks.glob("blocks.3.attn.hook_attn_scores"));
        CaptureManifest man = new ActivationCapture(m, sites, ctx, 40, DType.F32).run(tokens, dir, null);
        assertTrue(man.shards.size() >= 2, "several shards");
        ActivationStore store = ActivationStore.open(dir);
        for (CaptureManifest.Site s : store.manifest().sites) {
            assertArrayEquals(new int[]{heads, ctx}, s.trailingShape(), s.name());
            assertEquals(heads * ctx, s.width());
        }
        for (int w = 0; w * ctx < tokens.length; w++) {
            int[] window = Arrays.copyOfRange(tokens, w * ctx, Math.min(tokens.length, (w + 1) * ctx));
            int n = window.length;
            ActivationCache cache = m.runWithCache(window, sites);
            for (String site : cache.names()) {
                boolean scores = site.endsWith("hook_attn_scores");
                dev.actlab.model.hook.Activation direct = cache.get(site);   // [heads, n, n]
                float[] row = new float[heads * ctx];
                for (int t = 0; t < n; t++) {
                    store.row(site, (long) w * ctx + t, row, 0);
                    for (int h = 0; h < heads; h++) {
                        double sum = 0;
                        for (int k = 0; k < ctx; k++) {
                            float got = row[h * ctx + k];
                            String where = site + " window " + w + " query " + t + " head " + h + " key " + k;
                            if (k < n) assertEquals(direct.get(h, t, k), got, 0f, where);
                            if (k > t) assertEquals(scores ? Float.NEGATIVE_INFINITY : 0f, got, 0f, where);
                            else if (scores) assertTrue(Float.isFinite(got), where);
                            else sum += got;
                        }
                        if (!scores) assertEquals(1.0, sum, 1e-5, site + " window " + w + " query " + t + " head " + h);
                    }
                }
            }
        }
    }

    @Test
    void textCapturesCarryEachTokensByteOffsetsAcrossShards() throws Exception {
        Path file = Path.of("models/actlab-brown.gguf");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(file), "skipped: " + file + " is absent");
        LlamaModel m = dev.actlab.model.load.ModelLoader.loadDecoder(file);
        String text = "The jury said it did find that many of Georgia's registration and election laws \"are outmoded\".\n"
                + "Naïve café owners — 😀 — agreed.";
        int[] ids = m.tokenizer().encode(text, true);
        long[] o = dev.actlab.model.tokenizer.TokenOffsets.of(m.tokenizer(), text, ids);
        int[] offsets = new int[o.length];
        for (int i = 0; i < o.length; i++) offsets[i] = (int) o[i];
        CaptureManifest man = new ActivationCapture(m, Hooks.glob("blocks.0.hook_resid_post"), 8, 8, DType.F32).run(ids, offsets, dir, null);
        assertTrue(man.tokenOffsets);
        assertTrue(man.shards.size() > 2, "offsets sliced per shard");
        ActivationStore s = ActivationStore.open(dir);
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        StringBuilder rebuilt = new StringBuilder();
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (long r = 0; r < s.rows(); r++) {
            int[] span = s.tokenOffsets(r);
            byte[] piece = Arrays.copyOfRange(bytes, span[0], span[1]);
            assertArrayEquals(m.tokenizer().tokenBytes(s.tokenId(r)), piece, "row " + r);
            all.writeBytes(piece);
        }
        assertArrayEquals(bytes, all.toByteArray(), "the rows' spans rebuild the text");
        ActivationStore ids2 = ActivationStore.open(captureOfIds(m, ids));
        assertThrows(IllegalStateException.class, () -> ids2.tokenOffsets(0), "a capture from token ids has no offsets");
    }

    private Path captureOfIds(LlamaModel m, int[] ids) throws Exception {
        Path d = dir.resolve("ids");
        new ActivationCapture(m, Hooks.glob("blocks.0.hook_resid_post"), 8, 8, DType.F32).run(ids, d, null);
        return d;
    }
}
