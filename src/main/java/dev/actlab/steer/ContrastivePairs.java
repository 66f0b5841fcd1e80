package dev.actlab.steer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.io.FormatException;
import dev.actlab.io.Utf8Lines;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Texts with and without a property, for extracting a steering vector: positives[i] and
 * negatives[i] form pair i when {@code paired}; otherwise the two sets are unrelated (e.g. one
 * class and a neutral set).
 *
 * <p>Formats: a TSV file, one {@code positive<TAB>negative} pair per line; or JSONL, one object per
 * line, {@code {"positive": "...", "negative": "..."}} with an optional {@code "prompt"} put before
 * both (a template with two completions); or two files of one text per line (llama.cpp's
 * cvector-generator's --positive-file/--negative-file). Blank lines and lines starting with
 * {@code "# "} are skipped. A bad line is a {@link FormatException} naming the file and the line.
 */
public record ContrastivePairs(List<String> positives, List<String> negatives, boolean paired, String source) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public ContrastivePairs {
        positives = List.copyOf(positives);
        negatives = List.copyOf(negatives);
        if (paired && positives.size() != negatives.size())
            throw new IllegalArgumentException(source + ": " + positives.size() + " positives and " + negatives.size() + " negatives cannot be paired");
        if (positives.isEmpty() || negatives.isEmpty()) throw new IllegalArgumentException(source + ": needs at least one positive and one negative text");
    }

    public int size() { return positives.size(); }

    /** A TSV or JSONL file of pairs (JSONL when its first text line starts with '{'). */
    public static ContrastivePairs read(Path file) throws IOException { return parse(Utf8Lines.read(file), file.toString()); }

    /** Lines of a pairs file; source names it in errors. */
    public static ContrastivePairs parse(List<String> lines, String source) throws FormatException {
        List<String> pos = new ArrayList<>(), neg = new ArrayList<>();
        Boolean jsonl = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (skip(line)) continue;
            String field = "line " + (i + 1);
            if (jsonl == null) jsonl = line.stripLeading().startsWith("{");
            if (jsonl) {
                JsonNode n;
                try { n = JSON.readTree(line); }
                catch (com.fasterxml.jackson.core.JsonProcessingException e) { throw new FormatException(Path.of(source), field, 0, "is not a JSON object: " + e.getOriginalMessage()); }
                if (n == null || !n.isObject()) throw new FormatException(Path.of(source), field, 0, "is not a JSON object");
                String prompt = text(n, "prompt", false, source, field);
                pos.add((prompt == null ? "" : prompt) + text(n, "positive", true, source, field));
                neg.add((prompt == null ? "" : prompt) + text(n, "negative", true, source, field));
            } else {
                String[] parts = line.split("\t", -1);
                if (parts.length != 2) throw new FormatException(Path.of(source), field, 0, "has " + (parts.length - 1) + " tabs; expected positive<TAB>negative");
                if (parts[0].isBlank() || parts[1].isBlank()) throw new FormatException(Path.of(source), field, 0, "has an empty text");
                pos.add(parts[0]);
                neg.add(parts[1]);
            }
        }
        if (pos.isEmpty()) throw new FormatException(Path.of(source), "lines", 0, "no pairs");
        return new ContrastivePairs(pos, neg, true, source);
    }

    /** Two files of one text per line; paired when pairedByLine (then the counts must match). */
    public static ContrastivePairs read(Path positives, Path negatives, boolean pairedByLine) throws IOException {
        List<String> pos = texts(positives), neg = texts(negatives);
        if (pairedByLine && pos.size() != neg.size())
            throw new FormatException(negatives, "lines", 0, "has " + neg.size() + " texts but " + positives + " has " + pos.size() + ": pairs are made line by line");
        return new ContrastivePairs(pos, neg, pairedByLine, positives + " / " + negatives);
    }

    private static List<String> texts(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Utf8Lines.read(file)) if (!skip(line)) out.add(line);
        if (out.isEmpty()) throw new FormatException(file, "lines", 0, "no texts");
        return out;
    }

    private static boolean skip(String line) { return line.isBlank() || line.startsWith("# "); }

    private static String text(JsonNode n, String key, boolean required, String source, String field) throws FormatException {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            if (required) throw new FormatException(Path.of(source), field + "." + key, 0, "is missing");
            return null;
        }
        if (!v.isTextual()) throw new FormatException(Path.of(source), field + "." + key, 0, "is not a string");
        if (required && v.asText().isBlank()) throw new FormatException(Path.of(source), field + "." + key, 0, "is empty");
        return v.asText();
    }
}
