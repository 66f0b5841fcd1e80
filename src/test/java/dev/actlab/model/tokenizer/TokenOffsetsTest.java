package dev.actlab.model.tokenizer;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.onnx.MiniLm;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Token offsets into the text: against Hugging Face tokenizers for WordPiece, exact reconstruction for the lossless tokenizers. */
class TokenOffsetsTest {
    @Test
    void wordPieceOffsetsEqualHuggingFaceTokenizers() throws Exception {
        JsonNode f;
        try (InputStream in = getClass().getResourceAsStream("minilm_offsets_fixture.json")) { f = new ObjectMapper().readTree(in); }
        WordPieceTokenizer t = MiniLm.tokenizer();
        int tokens = 0;
        for (JsonNode c : f.get("cases")) {
            String text = c.get("text").asText();
            int n = c.get("ids").size();
            int[] expected = new int[n];
            for (int i = 0; i < n; i++) expected[i] = c.get("ids").get(i).asInt();
            int[] ids = t.encode(text, true);
            assertArrayEquals(expected, ids, "ids of '" + text + "'");
            long[] off = TokenOffsets.of(t, text, ids);
            for (int i = 0; i < n; i++) {
                if (c.get("special").get(i).asBoolean()) continue;   // HF puts [CLS] and [SEP] at (0, 0)
                JsonNode o = c.get("offsets").get(i);
                assertEquals(o.get(0).asLong(), off[2 * i], "start of " + c.get("tokens").get(i) + " in '" + text + "'");
                assertEquals(o.get(1).asLong(), off[2 * i + 1], "end of " + c.get("tokens").get(i) + " in '" + text + "'");
                tokens++;
            }
        }
        assertTrue(tokens > 150, tokens + " tokens compared");
    }

    /** Lossless tokenizers: the spans tile the text and each span holds exactly the token's bytes. */
    static void assertSpansTileTheText(Tokenizer t, String text, int[] ids, boolean dummyPrefix) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        long[] off = TokenOffsets.of(t, text, ids);
        long cursor = 0;
        boolean first = true;
        for (int i = 0; i < ids.length; i++) {
            byte[] tb = t.tokenBytes(ids[i]);
            long s = off[2 * i], e = off[2 * i + 1];
            assertEquals(cursor, s, "token " + i + " of '" + text + "' starts where the previous one ended");
            byte[] span = Arrays.copyOfRange(b, (int) s, (int) e);
            if (first && tb.length > 0) {
                first = false;
                if (dummyPrefix) tb = Arrays.copyOfRange(tb, 1, tb.length);   // the space the tokenizer added
            }
            assertArrayEquals(tb, span, "token " + i + " of '" + text + "'");
            cursor = e;
        }
        assertEquals(b.length, cursor, "the spans cover '" + text + "'");
    }

    static final List<String> TEXTS = List.of("The jury said that \"We have to get the eye to God\".", "  two  spaces\tand\ttabs\n\nnewlines ",
            "naïve café — Ünïcödé", "emoji 😀👍🏽 and 東京", "\u00a0no-break", "x", "");

    @Test
    void byteLevelBpeOfTheDefaultDecoderTilesTheText() throws Exception {
        Path file = Path.of("models/actlab-brown.gguf");
        assumeTrue(Files.isRegularFile(file), "skipped: " + file + " is absent");
        Tokenizer t = ModelLoader.loadDecoder(file).tokenizer();
        for (String text : TEXTS) assertSpansTileTheText(t, text, t.encode(text, true), false);
        int[] emoji = t.encode("😀", false);
        assertTrue(emoji.length > 1, "a character split over byte tokens: " + Arrays.toString(emoji));
        long[] off = TokenOffsets.of(t, "😀", emoji);
        assertEquals(4, off[2 * emoji.length - 1]);
    }

    @Test
    void sentencePieceTilesTheTextAfterItsDummyPrefix() throws Exception {
        JsonNode f = SentencePieceBpeTokenizerTest.fixture();
        Tokenizer t = GgufTokenizers.fromMetadata(SentencePieceBpeTokenizerTest.ggufMetadata(f), Path.of("fixture.gguf"));
        int texts = 0;
        for (JsonNode c : f.get("cases")) {
            String text = c.get("text").asText();
            if (!t.decode(t.encode(text, false)).equals(text)) continue;   // unk or normalization: not lossless
            assertSpansTileTheText(t, text, t.encode(text, true), !text.isEmpty());
            texts++;
        }
        assertTrue(texts > 100, texts + " texts");
    }
}
