package dev.actlab.model.bert;

import dev.actlab.model.onnx.MiniLm;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.onnx.OnnxRuntimeEncoder;
import dev.actlab.tensor.Parallel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** actlab's BERT forward pass against ONNX Runtime on the same .onnx, and LangChain4j's embeddings. */
class MiniLmOnnxRuntimeTest {
    static final List<String> SENTENCES = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "A man is playing a guitar.",
            "Transformers process tokens in parallel.",
            "Hello!",
            "I love machine learning, especially interpretability research.",
            "Café au lait costs €3.50 at the corner shop.",
            "东京是日本的首都。",
            "Emojis like 🎉 and 🚀 become unknown tokens.",
            "12345 67890 3.14159 2^10 = 1024",
            "Supercalifragilisticexpialidocious is a very long word.",
            "What is the capital of France?",
            "Paris is the capital and most populous city of France.",
            "The weather today is sunny with a light breeze.",
            "Stock markets fell sharply after the announcement.",
            "She sells sea shells by the sea shore.",
            "def forward(self, x): return self.linear(x)",
            "Ünïcödé àccents are stripped by the normalizer.",
            "x",
            "The cat sat on the mat. The dog sat on the log. Both were happy and warm in the afternoon sun.",
            "Residual streams carry information between layers of a transformer network, and sparse autoencoders decompose them.",
            "",
            "New York, N.Y. -- (AP) -- officials said Tuesday that the bridge would reopen.");

    static BertModel model;
    static OnnxRuntimeEncoder ort;

    @BeforeAll static void load() throws Exception {
        model = MiniLm.load();
        ort = new OnnxRuntimeEncoder(MiniLm.resource(MiniLm.ONNX_RESOURCE), 2);
    }

    @AfterAll static void close() throws Exception { ort.close(); }

    static int[][] tokenize(List<String> texts) {
        int[][] ids = new int[texts.size()][];
        for (int i = 0; i < ids.length; i++) ids[i] = model.tokenizer().encode(texts.get(i), true);
        return ids;
    }

    static float maxAbsDiff(EncoderOutput ours, float[][][] ref) {
        float max = 0;
        for (int b = 0; b < ours.batch(); b++)
            for (int t = 0; t < ours.lengths()[b]; t++) {
                float[] row = ours.row(b, t);
                for (int i = 0; i < row.length; i++) max = Math.max(max, Math.abs(row[i] - ref[b][t][i]));
            }
        return max;
    }

    @Test void lastHiddenStateMatchesOnnxRuntimeOneByOne() throws Exception {
        float worst = 0;
        for (String s : SENTENCES) {
            int[][] ids = tokenize(List.of(s));
            float diff = maxAbsDiff(model.forward(ids, null, Hooks.none()), ort.lastHiddenState(ids, 0));
            assertTrue(diff < 1e-4f, "max |actlab - ORT| = " + diff + " for '" + s + "'");
            worst = Math.max(worst, diff);
        }
        System.out.println("MiniLM last_hidden_state, " + SENTENCES.size() + " sentences one by one: max |actlab - ORT| = " + worst);
    }

    @Test void paddedBatchOfDifferentLengthsMatchesOnnxRuntime() throws Exception {
        int[][] ids = tokenize(SENTENCES);
        long distinct = Arrays.stream(ids).mapToInt(a -> a.length).distinct().count();
        assertTrue(distinct > 5, "the batch must mix lengths");
        EncoderOutput ours = model.forward(ids, null, Hooks.none());
        float diff = maxAbsDiff(ours, ort.lastHiddenState(ids, 0));   // ORT pads to the longest and masks
        System.out.println("MiniLM padded batch of " + ids.length + ": max |actlab - ORT| = " + diff);
        assertTrue(diff < 1e-4f, "max |actlab - ORT| = " + diff);
        // packing is invisible: each sequence alone gives the same bits as inside the batch
        EncoderOutput alone = model.forward(new int[][]{ids[4]}, null, Hooks.none());
        for (int t = 0; t < ids[4].length; t++) assertArrayEquals(alone.row(0, t), ours.row(4, t));
    }

    @Test void sentenceEmbeddingsMatchLangChain4j() {
        AllMiniLmL6V2EmbeddingModel lc = new AllMiniLmL6V2EmbeddingModel();
        List<String> texts = SENTENCES.stream().filter(s -> !s.isEmpty()).toList();
        float[][] ours = model.embed(texts);
        double worst = 1;
        for (int i = 0; i < texts.size(); i++) {
            float[] ref = lc.embed(texts.get(i)).content().vector();
            double dot = 0, na = 0, nb = 0;
            for (int j = 0; j < ref.length; j++) { dot += ours[i][j] * ref[j]; na += ours[i][j] * ours[i][j]; nb += ref[j] * ref[j]; }
            double cos = dot / Math.sqrt(na * nb);
            worst = Math.min(worst, cos);
            assertTrue(cos >= 0.99999, "cosine " + cos + " for '" + texts.get(i) + "'");
            assertEquals(1.0, Math.sqrt(na), 1e-5, "actlab embedding is L2-normalised");
        }
        System.out.println("MiniLM sentence embeddings vs LangChain4j: worst cosine = " + worst);
    }

    @Test void bitIdenticalAcrossThreadCounts() {
        int[][] ids = tokenize(SENTENCES);
        Parallel saved = model.parallel();
        try (Parallel one = new Parallel(1); Parallel three = new Parallel(3)) {
            float[] a = model.withParallel(one).forward(ids, null, Hooks.none()).hidden();
            float[] b = model.withParallel(three).forward(ids, null, Hooks.none()).hidden();
            assertArrayEquals(a, b);
        } finally { model.withParallel(saved); }
    }

    /** With a hook on the residual or the norm sites the add and the LayerNorm run as separate passes; without, fused: the same bits. */
    @Test void fusedResidualLayerNormGivesTheHookedPassesBits() {
        int[][] ids = tokenize(SENTENCES);
        float[] fused = model.forward(ids, null, Hooks.none()).hidden();
        for (String site : new String[]{"blocks.*.hook_resid_mid", "blocks.*.hook_resid_post", "blocks.*.ln1.hook_scale", "blocks.*.ln2.hook_normalized"}) {
            int[] calls = {0};
            float[] passes = model.forward(ids, null, Hooks.of(site, a -> calls[0]++)).hidden();
            assertTrue(calls[0] > 0, site + " fired");
            assertArrayEquals(fused, passes, site);
        }
    }

    /**
     * Passes reuse the calling thread's buffers while the token count stays the same: a second pass, a
     * pass on fresh buffers, and a pass run from inside a hook of another (which gets fresh buffers and
     * must not disturb the outer one) all give the same bits.
     */
    @Test void reusedBuffersGiveTheSameBits() {
        int[][] ids = tokenize(SENTENCES), other = tokenize(SENTENCES.subList(0, 3));
        float[] first = model.forward(ids, null, Hooks.none()).hidden();
        float[] second = model.forward(ids, null, Hooks.none()).hidden();
        float[] otherAlone = model.forward(other, null, Hooks.none()).hidden();
        float[][] inner = new float[1][];
        float[] outer = model.forward(ids, null, Hooks.of("blocks.2.hook_mlp_out", a -> inner[0] = model.forward(other, null, Hooks.none()).hidden())).hidden();
        EncoderChoice.reuseWorkspace = false;
        float[] fresh;
        try { fresh = model.forward(ids, null, Hooks.none()).hidden(); }
        finally { EncoderChoice.reuseWorkspace = true; }
        assertArrayEquals(fresh, first);
        assertArrayEquals(fresh, second);
        assertArrayEquals(fresh, outer);
        assertArrayEquals(otherAlone, inner[0]);
    }

    @Test void emptyTextIsClsSep() throws Exception {
        int[] ids = model.tokenizer().encode("", true);
        assertArrayEquals(new int[]{101, 102}, ids);
        float[] e = model.embed(List.of("")) [0];
        assertFalse(Float.isNaN(e[0]));
    }

    @Test void longTextIsTruncatedTo512WithAWarning() throws Exception {
        List<String> warnings = new ArrayList<>();
        var tok = MiniLm.tokenizer().withWarnings(warnings::add);
        assertEquals(128, tok.maxLength(), "the default is the tokenizer.json's truncation.max_length");
        tok.withMaxLength(512);
        String text = "word ".repeat(600);
        int[] ids = tok.encode(text, true);
        assertEquals(512, ids.length);
        assertEquals(102, ids[511]);
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("truncated"), warnings.get(0));
        float[][][] ref = ort.lastHiddenState(new int[][]{ids}, 0);
        float diff = maxAbsDiff(model.forward(new int[][]{ids}, null, Hooks.none()), ref);
        assertTrue(diff < 1e-4f, "512 tokens: max |actlab - ORT| = " + diff);
    }

    @Test void replaceHookOnResidPostChangesOutputDownstream() {
        int[][] ids = tokenize(List.of("The quick brown fox jumps over the lazy dog."));
        float[] clean = model.forward(ids, null, Hooks.none()).hidden();
        List<String> seen = new ArrayList<>();
        float[] patched = model.forward(ids, null, new Hooks()
                .add("blocks.2.hook_resid_post", a -> { for (int t = 0; t < a.shape[0]; t++) a.set(0f, t, 5); })
                .add("blocks.1.hook_resid_post", a -> seen.add(a.name))).hidden();
        assertEquals(List.of("blocks.1.hook_resid_post"), seen);
        float diff = 0;
        for (int i = 0; i < clean.length; i++) diff = Math.max(diff, Math.abs(clean[i] - patched[i]));
        assertTrue(diff > 1e-2f, "zeroing a residual channel at block 2 must change the last hidden state, changed by " + diff);
        // a hook that only reads changes nothing
        float[] read = model.forward(ids, null, Hooks.of("blocks.*.hook_resid_post", a -> a.get(0, 0))).hidden();
        assertArrayEquals(clean, read);
    }

    @Test void everyBertSiteFiresOncePerSequenceWithTransformerLensShapes() {
        var names = model.sites().names();
        for (String expected : List.of("hook_embed", "hook_pos_embed", "hook_token_type_embed", "embed.ln.hook_normalized",
                "blocks.0.hook_resid_pre", "blocks.0.attn.hook_q", "blocks.0.attn.hook_attn_scores", "blocks.0.attn.hook_pattern",
                "blocks.0.attn.hook_z", "blocks.0.hook_attn_out", "blocks.0.hook_resid_mid", "blocks.0.ln1.hook_scale",
                "blocks.0.mlp.hook_pre", "blocks.0.mlp.hook_post", "blocks.0.hook_mlp_out", "blocks.5.hook_resid_post", "blocks.5.ln2.hook_normalized"))
            assertTrue(names.contains(expected), expected + " missing from " + names);
        for (String absent : List.of("blocks.0.attn.hook_rot_q", "blocks.0.mlp.hook_pre_linear", "ln_final.hook_scale"))
            assertFalse(names.contains(absent), absent + " is not a BERT site");

        int[][] ids = tokenize(List.of("Short one.", "A somewhat longer second sentence here."));
        float[] clean = model.forward(ids, null, Hooks.none()).hidden();
        var cache = new dev.actlab.model.hook.ActivationCache();
        float[] hooked = model.forward(ids, null, new Hooks().add(s -> true, cache)).hidden();
        assertArrayEquals(clean, hooked, "listening to every site (scores and pattern materialized) changes no bit");
        for (int b = 0; b < 2; b++) {
            int L = ids[b].length;
            for (String n : names) assertNotNull(cache.get(n, b), n);
            assertArrayEquals(new int[]{L, 384}, cache.get("blocks.3.hook_resid_post", b).shape);
            assertArrayEquals(new int[]{L, 12, 32}, cache.get("blocks.3.attn.hook_q", b).shape);
            assertArrayEquals(new int[]{12, L, L}, cache.get("blocks.3.attn.hook_pattern", b).shape);
            assertArrayEquals(new int[]{L, 1536}, cache.get("blocks.3.mlp.hook_post", b).shape);
            assertArrayEquals(new int[]{L, 1}, cache.get("blocks.3.ln2.hook_scale", b).shape);
        }
        // the runWithCache of one sequence equals its slice of the batch
        var single = model.runWithCache(ids[1], n -> n.equals("blocks.4.hook_resid_mid"));
        assertArrayEquals(single.get("blocks.4.hook_resid_mid").toArray(), cache.get("blocks.4.hook_resid_mid", 1).toArray());
    }
}
