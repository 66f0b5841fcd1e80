package dev.actlab.model.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SentencePieceBpeTokenizerTest {

    // ---- against the real SentencePiece library ----

    /** spm_bpe_fixture.json: a BPE model trained by SentencePiece 0.2.2 and its own ids (see make_spm_fixture.py). */
    static JsonNode fixture() throws Exception {
        try (InputStream in = SentencePieceBpeTokenizerTest.class.getResourceAsStream("spm_bpe_fixture.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    static Map<String, Object> ggufMetadata(JsonNode f) {
        Map<String, Object> md = new HashMap<>();
        List<Object> pieces = new ArrayList<>(), scores = new ArrayList<>(), types = new ArrayList<>();
        f.get("pieces").forEach(p -> pieces.add(p.asText()));
        f.get("scores").forEach(s -> scores.add((float) s.asDouble()));
        f.get("types").forEach(t -> types.add(t.asInt()));
        md.put("tokenizer.ggml.model", "llama");
        md.put("tokenizer.ggml.tokens", pieces);
        md.put("tokenizer.ggml.scores", scores);
        md.put("tokenizer.ggml.token_type", types);
        md.put("tokenizer.ggml.bos_token_id", f.get("bos").asInt());
        md.put("tokenizer.ggml.eos_token_id", f.get("eos").asInt());
        md.put("tokenizer.ggml.unknown_token_id", f.get("unk").asInt());
        md.put("tokenizer.ggml.add_space_prefix", true);
        return md;
    }

    @Test
    void matchesSentencePieceOnEveryFixtureText() throws Exception {
        JsonNode f = fixture();
        Tokenizer t = GgufTokenizers.fromMetadata(ggufMetadata(f), java.nio.file.Path.of("fixture.gguf"));
        assertInstanceOf(SentencePieceBpeTokenizer.class, t);
        int texts = 0, tokens = 0;
        for (JsonNode c : f.get("cases")) {
            String text = c.get("text").asText();
            int[] expected = new int[c.get("ids").size()];
            for (int i = 0; i < expected.length; i++) expected[i] = c.get("ids").get(i).asInt();
            int[] got = t.encode(text, false);
            assertArrayEquals(expected, got, () -> "'" + text + "': SentencePiece " + Arrays.toString(expected) + ", ours " + Arrays.toString(got));
            assertEquals(c.get("decoded").asText(), t.decode(got), "decode of '" + text + "'");
            texts++; tokens += got.length;
        }
        assertTrue(texts >= 150);
        System.out.printf("SentencePiece BPE: %d texts, %d tokens identical to sentencepiece%n", texts, tokens);
        int[] withBos = t.encode("Lily", true);
        assertEquals(f.get("bos").asInt(), withBos[0]);
        assertEquals("Lily", t.decode(withBos));
    }

    @Test
    void malformedGgufMetadataNamesTheKey() throws Exception {
        Map<String, Object> md = ggufMetadata(fixture());
        List<?> scores = (List<?>) md.get("tokenizer.ggml.scores");
        md.put("tokenizer.ggml.scores", scores.subList(0, scores.size() - 1));
        var e = assertThrows(dev.actlab.io.FormatException.class, () -> GgufTokenizers.fromMetadata(md, java.nio.file.Path.of("x.gguf")));
        assertEquals("tokenizer.ggml.scores", e.field());
        assertTrue(e.getMessage().startsWith("x.gguf: "), e.getMessage());
        md.put("tokenizer.ggml.scores", scores);
        List<Object> tokens = new ArrayList<>((List<?>) md.get("tokenizer.ggml.tokens"));
        tokens.set(5, 42);
        md.put("tokenizer.ggml.tokens", tokens);
        e = assertThrows(dev.actlab.io.FormatException.class, () -> GgufTokenizers.fromMetadata(md, java.nio.file.Path.of("x.gguf")));
        assertEquals("tokenizer.ggml.tokens[5]", e.field());
        md.put("tokenizer.ggml.tokens", "not an array");
        e = assertThrows(dev.actlab.io.FormatException.class, () -> GgufTokenizers.fromMetadata(md, java.nio.file.Path.of("x.gguf")));
        assertEquals("tokenizer.ggml.tokens", e.field());
        md.remove("tokenizer.ggml.model");
        e = assertThrows(dev.actlab.io.FormatException.class, () -> GgufTokenizers.fromMetadata(md, java.nio.file.Path.of("x.gguf")));
        assertEquals("tokenizer.ggml.model", e.field());
    }

    /** SentencePiece has no pre-tokenizer: a whole text is one merge sequence, so the merge loop must scale. */
    @Test
    void longTextsEncodeInNearLinearTime() throws Exception {
        Tokenizer t = GgufTokenizers.fromMetadata(ggufMetadata(fixture()), java.nio.file.Path.of("fixture.gguf"));
        StringBuilder sb = new StringBuilder();
        for (JsonNode c : fixture().get("cases")) sb.append(c.get("text").asText()).append(' ');
        String text = sb.toString().repeat(40);
        t.encode(text, false);   // warm up
        long t0 = System.nanoTime();
        int[] ids = t.encode(text, false);
        double s = (System.nanoTime() - t0) / 1e9;
        assertEquals(text, t.decode(ids));
        System.out.printf("SentencePiece BPE encode of %d chars in one sequence: %d tokens in %.3f s%n", text.length(), ids.length, s);
    }

    /**
     * The same model as a Llama-2-style tokenizer.json (BPE with byte_fallback, Prepend/Replace
     * normalizers). Its merges are made the way Hugging Face's SentencePiece converter makes them:
     * every split of every piece into two pieces, ordered by the merged piece's id (SentencePiece
     * ids follow score order), then by the parts' ids.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void llama2StyleTokenizerJsonMatchesSentencePiece(boolean metaspace, @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        JsonNode f = fixture();
        ObjectMapper json = new ObjectMapper();
        var root = json.createObjectNode();
        var model = root.putObject("model");
        model.put("type", "BPE").put("byte_fallback", true).put("fuse_unk", true).put("unk_token", "<unk>").putNull("dropout");
        var vocab = model.putObject("vocab");
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < f.get("pieces").size(); i++) { vocab.put(f.get("pieces").get(i).asText(), i); ids.put(f.get("pieces").get(i).asText(), i); }
        List<int[]> merges = new ArrayList<>();   // {merged id, left id, right id}
        for (int i = 0; i < f.get("pieces").size(); i++) {
            if (f.get("types").get(i).asInt() != 1) continue;
            String p = f.get("pieces").get(i).asText();
            for (int k = p.offsetByCodePoints(0, 1); k < p.length(); k = p.offsetByCodePoints(k, 1)) {
                Integer a = ids.get(p.substring(0, k)), b = ids.get(p.substring(k));
                if (a != null && b != null) merges.add(new int[]{i, a, b});
            }
        }
        merges.sort(java.util.Comparator.<int[]>comparingInt(m -> m[0]).thenComparingInt(m -> m[1]).thenComparingInt(m -> m[2]));
        var mergeArray = model.putArray("merges");
        for (int[] m : merges) mergeArray.add(f.get("pieces").get(m[1]).asText() + " " + f.get("pieces").get(m[2]).asText());
        var added = root.putArray("added_tokens");
        for (int i = 0; i < 4; i++) added.addObject().put("id", i).put("content", f.get("pieces").get(i).asText()).put("special", i < 3);
        if (metaspace) {   // the newer spelling (Mistral, later Llama 2 exports): a Metaspace pre-tokenizer
            root.putNull("normalizer");
            root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "\u2581").put("prepend_scheme", "first").put("split", false);
        } else {           // the legacy spelling: Prepend and Replace normalizers
            var norm = root.putObject("normalizer").put("type", "Sequence").putArray("normalizers");
            norm.addObject().put("type", "Prepend").put("prepend", "\u2581");
            norm.addObject().put("type", "Replace").put("content", "\u2581").putObject("pattern").put("String", " ");
            root.putNull("pre_tokenizer");
        }
        var single = root.putObject("post_processor").put("type", "TemplateProcessing").putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        java.nio.file.Path file = tmp.resolve("tokenizer.json");
        json.writeValue(file.toFile(), root);

        Tokenizer t = HfTokenizerJson.load(file);
        assertInstanceOf(SentencePieceBpeTokenizer.class, t);
        assertEquals(f.get("bos").asInt(), t.bosId());
        for (JsonNode c : f.get("cases")) {
            String text = c.get("text").asText();
            int[] expected = new int[c.get("ids").size()];
            for (int i = 0; i < expected.length; i++) expected[i] = c.get("ids").get(i).asInt();
            int[] got = t.encode(text, false);
            assertArrayEquals(expected, got, () -> "'" + text + "': SentencePiece " + Arrays.toString(expected) + ", ours " + Arrays.toString(got));
            assertEquals(c.get("decoded").asText(), t.decode(got));
        }
        // Hugging Face matches special added tokens in text
        assertEquals(1, t.encode("<s>Lily", false)[1]);
    }

    // ---- small vocabularies whose tokenization follows by hand from the algorithm ----

    /** <unk>, <s>, </s>, 256 byte tokens <0x00>..<0xFF> (ids 3..258), then the given normal pieces with scores. */
    static SentencePieceBpeTokenizer vocab(boolean prefix, Object... pieceScore) {
        List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Integer> types = new ArrayList<>(List.of(2, 3, 3));
        List<Float> scores = new ArrayList<>(List.of(0f, 0f, 0f));
        for (int b = 0; b < 256; b++) { pieces.add(String.format("<0x%02X>", b)); types.add(6); scores.add(0f); }
        for (int i = 0; i < pieceScore.length; i += 2) {
            pieces.add((String) pieceScore[i]); scores.add(((Number) pieceScore[i + 1]).floatValue());
            types.add(pieceScore[i].equals("<sep>") ? 4 : 1);
        }
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) s[i] = scores.get(i);
        return new SentencePieceBpeTokenizer(pieces, s, types.stream().mapToInt(Integer::intValue).toArray(), 1, 2, 0, prefix);
    }

    static List<String> pieces(Tokenizer t, String text) {
        return Arrays.stream(t.encode(text, false)).mapToObj(t::piece).toList();
    }

    @Test
    void theHighestScoringMergeGoesFirst() {
        // "abc": candidate pairs ab (-1) and bc (-0.5); bc scores higher -> a|bc; "abc" is not a piece -> stop.
        assertEquals(List.of("a", "bc"), pieces(vocab(false, "a", -9, "b", -9, "c", -9, "ab", -1, "bc", -0.5), "abc"));
        // swap the scores: ab first -> ab|c
        assertEquals(List.of("ab", "c"), pieces(vocab(false, "a", -9, "b", -9, "c", -9, "ab", -0.5, "bc", -1), "abc"));
        // equal scores: the leftmost pair wins -> ab|c
        assertEquals(List.of("ab", "c"), pieces(vocab(false, "a", -9, "b", -9, "c", -9, "ab", -1, "bc", -1), "abc"));
        // "abc" present: after a|bc the pair (a, bc) makes "abc" -> one token, even with a low score
        assertEquals(List.of("abc"), pieces(vocab(false, "a", -9, "b", -9, "c", -9, "ab", -1, "bc", -0.5, "abc", -50), "abc"));
        // "abc" reachable only from ab + c: ab (-1) loses to bc (-0.5), and a + bc = "abc" is still a piece, so the
        // result is the same single token: merges check the concatenation, not a particular split
        assertEquals(List.of("abc"), pieces(vocab(false, "a", -9, "b", -9, "c", -9, "ab", -1, "bc", -0.5, "abc", -2), "abc"));
    }

    @Test
    void spacesBecomeTheMetaSymbolWithOneDummyPrefix() {
        SentencePieceBpeTokenizer t = vocab(true, "\u2581", -9, "a", -9, "b", -9, "\u2581a", -1, "ab", -2, "\u2581ab", -3);
        // "ab" -> "▁ab": pairs ▁a (-1), ab (-2): ▁a first -> ▁a|b; then ▁a + b = "▁ab" -> one token
        assertEquals(List.of("\u2581ab"), pieces(t, "ab"));
        // "a b" -> "▁a▁b": ▁a merges; "▁b" is not a piece -> ▁a|▁|b
        assertEquals(List.of("\u2581a", "\u2581", "b"), pieces(t, "a b"));
        assertEquals("a b", t.decode(t.encode("a b", true)));
        assertEquals(List.of(), pieces(t, ""));
        // without the prefix option the text is taken as it is
        assertEquals(List.of("ab"), pieces(vocab(false, "\u2581", -9, "a", -9, "b", -9, "ab", -2), "ab"));
    }

    @Test
    void charactersOutsideTheVocabularyFallBackToUtf8Bytes() {
        SentencePieceBpeTokenizer t = vocab(false, "a", -1);
        // é = C3 A9, 中 = E4 B8 AD, 😀 = F0 9F 98 80; byte token id = 3 + byte value
        assertArrayEquals(new int[]{3 + 0xC3, 3 + 0xA9, 259, 3 + 0xE4, 3 + 0xB8, 3 + 0xAD, 3 + 0xF0, 3 + 0x9F, 3 + 0x98, 3 + 0x80},
                t.encode("éa中😀", false));
        assertEquals("éa中😀", t.decode(t.encode("éa中😀", false)));
        assertEquals("a\n", t.decode(t.encode("a\n", false)));
        // a lone continuation byte decodes to the replacement character, not an exception
        assertEquals("\uFFFD", t.decode(new int[]{3 + 0xA9}));
    }

    @Test
    void controlTokensDecodeToNothingAndUserDefinedPiecesAreMatchedWhole() {
        SentencePieceBpeTokenizer t = vocab(false, "<sep>", 0, "a", -1, "<", -1, "s", -1, ">", -1);
        // <sep> (user-defined, id 259) is one token; "<s>" (control) is never matched in text: plain characters
        assertEquals(List.of("a", "<sep>", "a"), pieces(t, "a<sep>a"));
        assertEquals(List.of("<", "s", ">"), pieces(t, "<s>"));
        assertEquals("aa", t.decode(new int[]{1, 260, 2, 260}));
    }
}
