package dev.actlab.model.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** PieceTable against java.util.HashMap's putIfAbsent/get and against the list it was built from. */
class PieceTableTest {
    @Test
    void findAgreesWithHashMapAndGetReturnsEachEntry() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 20_000;
        List<String> items = new ArrayList<>();
        for (int i = 0; i < n; i++) items.add(word(r));   // short words: many duplicates and colliding hashes
        items.add("");                                   // an empty entry
        items.add("\u2581caf\u00e9 \uD83D\uDE00");       // outside Latin-1, a surrogate pair
        PieceTable t = new PieceTable(items);
        Map<String, Integer> reference = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            if (i % 3 == 2) continue;                    // an unindexed entry is stored but not found
            t.index(i);
            reference.putIfAbsent(items.get(i), i);      // the first occurrence wins
        }
        assertEquals(items.size(), t.size());
        for (int i = 0; i < items.size(); i++) {
            assertEquals(items.get(i), t.get(i));
            assertEquals(items.get(i).length(), t.length(i));
            assertEquals((int) reference.getOrDefault(items.get(i), -1), t.find(items.get(i)), items.get(i));
        }
        for (int i = 0; i < 5_000; i++) assertEquals(-1, t.find(word(r) + "#"));   // never stored
        assertEquals(reference.getOrDefault("Aa", -1), t.find("Aa"));   // "Aa" and "BB" share a hashCode
        assertEquals(reference.getOrDefault("BB", -1), t.find("BB"));
    }

    /** A 128k synthetic vocabulary, as `actlab synth` writes it: every piece found at its own id. */
    @Test
    void aLargeVocabularyRoundTrips() {
        List<String> tokens = SyntheticVocabulary.of(128_256).tokens();
        PieceTable t = new PieceTable(tokens);
        for (int i = 0; i < t.size(); i++) t.index(i);
        for (int i = 0; i < tokens.size(); i += 7) { assertEquals(i, t.find(tokens.get(i))); assertEquals(tokens.get(i), t.get(i)); }
    }

    private static String word(SplittableRandom r) {
        int len = 1 + r.nextInt(3);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < len; i++) b.append((char) ('A' + r.nextInt(40)));
        return b.toString();
    }
}
