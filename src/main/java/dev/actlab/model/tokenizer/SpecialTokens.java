package dev.actlab.model.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tokens matched verbatim in the text before BPE runs (control tokens such as
 * "<|begin_of_text|>" and added/user-defined tokens). Longer tokens win over their prefixes.
 */
final class SpecialTokens {
    /** A run of plain text (id = -1) or one special token. */
    record Segment(String text, int id) { boolean special() { return id >= 0; } }

    private final Map<String, Integer> ids;
    private final java.util.Set<Integer> idSet;
    private final Pattern pattern;   // null when there are none

    SpecialTokens(Map<String, Integer> ids) {
        this.ids = Map.copyOf(ids);
        this.idSet = java.util.Set.copyOf(ids.values());
        List<String> texts = new ArrayList<>(ids.keySet());
        texts.removeIf(String::isEmpty);
        texts.sort(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()));
        StringBuilder sb = new StringBuilder();
        for (String t : texts) sb.append(sb.isEmpty() ? "" : "|").append(Pattern.quote(t));
        this.pattern = texts.isEmpty() ? null : Pattern.compile(sb.toString());
    }

    boolean contains(int id) { return idSet.contains(id); }

    List<Segment> split(String text) {
        List<Segment> out = new ArrayList<>();
        if (pattern == null) { if (!text.isEmpty()) out.add(new Segment(text, -1)); return out; }
        Matcher m = pattern.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) out.add(new Segment(text.substring(last, m.start()), -1));
            out.add(new Segment(m.group(), ids.get(m.group())));
            last = m.end();
        }
        if (last < text.length()) out.add(new Segment(text.substring(last), -1));
        return out;
    }
}
