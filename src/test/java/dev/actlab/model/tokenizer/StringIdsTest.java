package dev.actlab.model.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** StringIds against java.util.HashMap's putIfAbsent/get on the same strings, duplicates and misses included. */
class StringIdsTest {
    @Test
    void agreesWithHashMap() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 20_000;
        StringIds ids = new StringIds(n);
        Map<String, Integer> reference = new HashMap<>();
        for (int i = 0; i < n; i++) {
            String s = word(r);   // short words: many duplicates (first occurrence wins) and colliding hashes
            ids.putIfAbsent(s, i);
            reference.putIfAbsent(s, i);
        }
        assertEquals(reference.size(), ids.size());
        for (var e : reference.entrySet()) assertEquals(e.getValue(), ids.get(e.getKey()), e.getKey());
        for (int i = 0; i < 5_000; i++) {
            String s = word(r) + "#";   // never inserted
            assertEquals(-1, ids.get(s));
        }
        assertEquals(reference.getOrDefault("Aa", -1), ids.get("Aa"));   // "Aa" and "BB" share a hashCode
        assertEquals(reference.getOrDefault("BB", -1), ids.get("BB"));
    }

    @Test
    void rejectsNegativeValuesAndOverfilling() {
        StringIds ids = new StringIds(2);
        assertThrows(IllegalArgumentException.class, () -> ids.putIfAbsent("a", -1));
        int half = 8;   // 2 expected -> 16 slots (at least 8), at most half full
        for (int i = 0; i < half; i++) ids.putIfAbsent("k" + i, i);
        assertEquals(half, ids.size());
        assertThrows(IllegalStateException.class, () -> ids.putIfAbsent("overflow", 9));
    }

    private static String word(SplittableRandom r) {
        int len = 1 + r.nextInt(3);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < len; i++) b.append((char) ('A' + r.nextInt(40)));
        return b.toString();
    }
}
