package dev.actlab.model.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Merge order on small vocabularies, derived by hand (real vocabularies are checked against jtokkit). */
class ByteLevelBpeTokenizerTest {

    /** The 256 byte characters (id = byte value), the given pieces, then the special "<|eot|>"; with the given merges. */
    static ByteLevelBpeTokenizer tokenizer(List<String> extra, List<String> merges) {
        List<String> pieces = new ArrayList<>();
        for (int b = 0; b < 256; b++) pieces.add(String.valueOf(ByteLevelAlphabet.charOf(b)));
        pieces.addAll(extra);
        int eot = pieces.size();
        pieces.add("<|eot|>");
        return new ByteLevelBpeTokenizer(pieces, merges, PreTokenizer.GPT2, Map.of("<|eot|>", eot), Set.of(eot), -1, eot);
    }

    static List<String> pieces(Tokenizer t, String text) { return Arrays.stream(t.encode(text, false)).mapToObj(t::piece).toList(); }

    @Test
    void lowestRankMergesFirst() {
        List<String> vocab = List.of("ab", "bc", "abc");
        // ranks: a b = 0, b c = 1, ab c = 2: "abc" -> ab|c (rank 0) -> abc (rank 2)
        assertEquals(List.of("abc"), pieces(tokenizer(vocab, List.of("a b", "b c", "ab c")), "abc"));
        // ranks: b c = 0, a b = 1, ab c = 2: "abc" -> a|bc; "a bc" is no merge -> stop, although "abc" is in the vocabulary
        assertEquals(List.of("a", "bc"), pieces(tokenizer(vocab, List.of("b c", "a b", "ab c")), "abc"));
        // "aaa" with a a = 0: the leftmost pair merges first -> aa|a
        assertEquals(List.of("aa", "a"), pieces(tokenizer(List.of("aa"), List.of("a a")), "aaa"));
    }

    @Test
    void spaceIsTheGCharacterAndMergesStayInsidePreTokens() {
        // " ab ab": GPT-2 splits into " ab", " ab"; space is byte 0x20 = 'Ġ' in the alphabet
        var t = tokenizer(List.of("Ġa", "Ġab"), List.of("Ġ a", "Ġa b"));
        assertEquals(List.of("Ġab", "Ġab"), pieces(t, " ab ab"));
        // "ab" without a space: no merge applies (all merges need Ġ) -> bytes
        assertEquals(List.of("a", "b"), pieces(t, "ab"));
        assertEquals(" ab ab", t.decode(t.encode(" ab ab", false)));
    }

    @Test
    void specialTokenIsOneIdAndDecodesToNothing() {
        var t = tokenizer(List.of(), List.of());
        int[] ids = t.encode("a<|eot|>é", false);
        assertArrayEquals(new int[]{'a', 256, 0xC3, 0xA9}, ids);
        assertEquals("aé", t.decode(ids));
        assertEquals(256, t.eosId());
    }
}
