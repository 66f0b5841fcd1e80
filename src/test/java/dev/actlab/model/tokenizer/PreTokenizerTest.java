package dev.actlab.model.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Splits derived by hand from the regexes (the full pipelines are checked against jtokkit elsewhere). */
class PreTokenizerTest {

    @Test
    void digitsGroupByThreeInLlama3AndSingleInQwen2() {
        assertEquals(List.of("123", "456", "7"), PreTokenizer.LLAMA3.split("1234567"));
        assertEquals(List.of("1", "2", "3", "4"), PreTokenizer.QWEN2.split("1234"));
        assertEquals(List.of("1234567"), PreTokenizer.GPT2.split("1234567"));
    }

    @Test
    void contractionsAreCaseInsensitiveOnlyAfterGpt2() {
        // GPT-2 lists lower-case contractions only: "'M" falls to the punctuation rule, then "M" is a word
        assertEquals(List.of("I", "'", "M"), PreTokenizer.GPT2.split("I'M"));
        assertEquals(List.of("I", "'M"), PreTokenizer.LLAMA3.split("I'M"));
    }

    @Test
    void theLastSpaceOfARunJoinsTheNextWord() {
        // \s+(?!\S) stops one short of a word so that the word keeps its leading space
        assertEquals(List.of("a", "  ", " b"), PreTokenizer.GPT2.split("a   b"));
        // Llama 3: a newline run is its own piece; a space before a letter is absorbed by [^\r\n\p{L}\p{N}]?\p{L}+
        assertEquals(List.of("a", "\n\n", "b"), PreTokenizer.LLAMA3.split("a\n\nb"));
    }

    @Test
    void ggufNamesMapToPatterns() {
        assertSame(PreTokenizer.LLAMA3, PreTokenizer.forGgufPre("llama-bpe"));
        assertSame(PreTokenizer.QWEN2, PreTokenizer.forGgufPre("qwen2"));
        assertSame(PreTokenizer.GPT2, PreTokenizer.forGgufPre("default"));
        assertNull(PreTokenizer.forGgufPre("falcon"));
    }

    @Test
    void nfcNormalizationJoinsCombiningMarksBeforeBytes() {
        // vocabulary: the 256 byte characters; "e" + U+0301 must reach BPE as the two bytes of U+00E9 (C3 A9)
        List<String> pieces = new java.util.ArrayList<>();
        for (int b = 0; b < 256; b++) pieces.add(String.valueOf(ByteLevelAlphabet.charOf(b)));
        var nfc = new ByteLevelBpeTokenizer(pieces, List.of(), PreTokenizer.QWEN2, java.util.Map.of(), java.util.Set.of(), -1, -1,
                java.text.Normalizer.Form.NFC);
        assertArrayEquals(new int[]{0xC3, 0xA9}, nfc.encode("e\u0301", false));
        var raw = new ByteLevelBpeTokenizer(pieces, List.of(), PreTokenizer.QWEN2, java.util.Map.of(), java.util.Set.of(), -1, -1);
        assertArrayEquals(new int[]{'e', 0xCC, 0x81}, raw.encode("e\u0301", false));
    }
}
