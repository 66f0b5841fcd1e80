package dev.actlab.model.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The priority-queue merge loop against the plain reference: rescan every pair, merge the best, repeat. */
class BpeMergeTest {

    /** Plain reference: O(n^2), obviously the algorithm's definition. */
    static List<String> reference(String text, boolean byCodePoint, BpeMerge.PairRank ranks) {
        List<String> symbols = new ArrayList<>();
        if (byCodePoint) text.codePoints().forEach(cp -> symbols.add(Character.toString(cp)));
        else for (char c : text.toCharArray()) symbols.add(String.valueOf(c));
        while (true) {
            int best = -1;
            double bestRank = Double.POSITIVE_INFINITY;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                double r = ranks.rank(symbols.get(i), symbols.get(i + 1));
                if (!Double.isNaN(r) && r < bestRank) { bestRank = r; best = i; }
            }
            if (best < 0) return symbols;
            symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
        }
    }

    @Test
    void queueMergesEqualTheReferenceOnRandomVocabularies() {
        Random r = new Random(3);
        String alphabet = "abcab😀";   // repeated letters make many equal-rank ties and overlapping pairs
        int cases = 0;
        for (int v = 0; v < 200; v++) {
            // random pair ranks, with ties (ranks drawn from a small range)
            Map<String, Double> rank = new HashMap<>();
            for (int k = 0; k < 40; k++) {
                String a = randomText(r, alphabet, 1 + r.nextInt(3)), b = randomText(r, alphabet, 1 + r.nextInt(3));
                rank.putIfAbsent(a + "\u0000" + b, (double) r.nextInt(10));
            }
            BpeMerge.PairRank ranks = (a, b) -> rank.getOrDefault(a + "\u0000" + b, Double.NaN);
            for (int t = 0; t < 25; t++) {
                String text = randomText(r, alphabet, r.nextInt(40));
                assertEquals(reference(text, true, ranks), BpeMerge.apply(text, true, ranks), text);
                cases++;
            }
        }
        assertEquals(5000, cases);
    }

    private static String randomText(Random r, String alphabet, int n) {
        int[] cps = alphabet.codePoints().toArray();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.appendCodePoint(cps[r.nextInt(cps.length)]);
        return sb.toString();
    }

    @Test
    void emptyAndSingleSymbolTexts() {
        BpeMerge.PairRank any = (a, b) -> 0;
        assertEquals(List.of(), BpeMerge.apply("", true, any));
        assertEquals(List.of("😀"), BpeMerge.apply("😀", true, any));
        assertEquals(List.of("abcd"), BpeMerge.apply("abcd", false, any));
    }
}
