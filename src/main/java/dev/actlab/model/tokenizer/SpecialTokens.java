package dev.actlab.model.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Tokens matched verbatim in the text before BPE runs (control tokens such as
 * "<|begin_of_text|>" and added/user-defined tokens). Scanning the text, at each position the
 * longest token starting there wins; only tokens whose first character is the one at hand are
 * tried, so hundreds of reserved tokens cost nothing on ordinary text.
 */
final class SpecialTokens {
    /** A run of plain text (id = -1) or one special token. */
    record Segment(String text, int id) { boolean special() { return id >= 0; } }

    private final Map<String, Integer> ids;
    private final Set<Integer> idSet;
    private final Map<Character, List<String>> byFirstChar = new HashMap<>();   // longest first

    SpecialTokens(Map<String, Integer> ids) {
        this.ids = Map.copyOf(ids);
        this.idSet = Set.copyOf(ids.values());
        for (String t : ids.keySet()) if (!t.isEmpty()) byFirstChar.computeIfAbsent(t.charAt(0), c -> new ArrayList<>()).add(t);
        for (List<String> l : byFirstChar.values()) l.sort(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()));
    }

    boolean contains(int id) { return idSet.contains(id); }

    List<Segment> split(String text) {
        List<Segment> out = new ArrayList<>();
        int last = 0;
        if (!byFirstChar.isEmpty()) {
            for (int i = 0; i < text.length(); ) {
                String match = null;
                List<String> candidates = byFirstChar.get(text.charAt(i));
                if (candidates != null)
                    for (String t : candidates) if (text.startsWith(t, i)) { match = t; break; }
                if (match == null) { i++; continue; }
                if (i > last) out.add(new Segment(text.substring(last, i), -1));
                out.add(new Segment(match, ids.get(match)));
                i += match.length();
                last = i;
            }
        }
        if (last < text.length()) out.add(new Segment(text.substring(last), -1));
        return out;
    }
}
