package dev.actlab.model.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.actlab.io.FormatException;
import dev.actlab.model.onnx.MiniLm;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The WordPiece tokenizer against Hugging Face's own (Rust) tokenizers library, run through DJL's
 * binding (bundled native library, works offline) on the same tokenizer.json.
 */
class WordPieceTokenizerTest {
    static final List<String> TEXTS = List.of(
            "",
            "   ",
            "Hello, world!",
            "The quick brown fox jumps over the lazy dog.",
            "UPPER case and MiXeD CaSe",
            "Café, naïve, résumé, Ångström, São Paulo, Zürich",
            "Crème brûlée à la carte — façade",
            "东京是日本的首都。我爱北京天安门",
            "日本語のテキストとカタカナ、ひらがな",
            "한국어 문장입니다",
            "Emoji: 🎉🚀😀 👍🏽 and ❤️",
            "Numbers 12345, 3.14159, -42, 1e-10, $100.00, 50%",
            "2024-01-15T10:30:00Z",
            "pneumonoultramicroscopicsilicovolcanoconiosis",
            "a".repeat(100),
            "b".repeat(101),
            "antidisestablishmentarianism " + "x".repeat(150) + " end",
            "don't won't can't I'm you're",
            "e-mail: someone@example.com, https://example.org/path?q=1&r=2",
            "C++ / C# / F# / Objective-C",
            "tabs\tand\nnewlines\r\nand  double  spaces",
            "non\u00a0breaking\u2003em\u3000ideographic spaces",
            "narrow\u202fno-break, next\u0085line, ogham\u1680space",
            "zero\u200bwidth\u200djoiner and soft\u00adhyphen",
            "control\u0001chars\u0007here\u001f",
            "quotes “curly” ‘single’ «guillemets» „low“",
            "math: x² + y² = z², ∑ ∫ √ ≤ ≥ ≠ ∞",
            "symbols ~ ` ^ | < > = + _ \\ { } [ ]",
            "Ελληνικά κείμενο και Русский текст",
            "العربية نص مكتوب",
            "हिन्दी पाठ",
            "İstanbul ıi ǅ ß ﬁ",
            "unaffable unbelievably reconstruction tokenization",
            "...!!!???---",
            "\ufffd replacement and \u0000 nul",
            "Ａｂｃ full-width ＡＢＣ １２３",
            "𠀀 𪜀 CJK extension B and C",
            "A\u0301 combining acute, e\u0308 combining diaeresis");

    static int[] reference(HuggingFaceTokenizer hf, String text) {
        Encoding e = hf.encode(text);
        return Arrays.stream(e.getIds()).mapToInt(Math::toIntExact).toArray();
    }

    @Test void idsMatchHuggingFaceTokenizers(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("tokenizer.json");
        Files.write(json, MiniLm.resource(MiniLm.TOKENIZER_RESOURCE));
        WordPieceTokenizer ours = MiniLm.tokenizer();
        List<String> mismatches = new ArrayList<>();
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(json, Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true"))) {
            for (String t : TEXTS) {
                int[] expected = reference(hf, t);
                int[] actual = ours.encode(t, true);
                if (!Arrays.equals(expected, actual))
                    mismatches.add("'" + t + "': HF " + Arrays.toString(expected) + " actlab " + Arrays.toString(actual));
            }
        }
        assertTrue(mismatches.isEmpty(), mismatches.size() + " of " + TEXTS.size() + " differ:\n" + String.join("\n", mismatches));
    }

    @Test void decodeJoinsContinuations() throws Exception {
        WordPieceTokenizer t = MiniLm.tokenizer();
        assertEquals("tokenization is fun", t.decode(t.encode("Tokenization is fun", true)));
    }

    @Test void badJsonIsAFormatException() {
        byte[] bad = "{\"model\": {\"type\": \"WordPiece\", \"vocab\": ".getBytes(StandardCharsets.UTF_8);
        FormatException e = assertThrows(FormatException.class, () -> WordPieceTokenizer.fromJson(new ByteArrayInputStream(bad), Path.of("t.json")));
        assertTrue(e.getMessage().startsWith("t.json"), e.getMessage());
        byte[] bpe = "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}".getBytes(StandardCharsets.UTF_8);
        FormatException e2 = assertThrows(FormatException.class, () -> WordPieceTokenizer.fromJson(new ByteArrayInputStream(bpe), Path.of("t.json")));
        assertTrue(e2.getMessage().contains("model.type"), e2.getMessage());
    }
}
