package dev.actlab.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.io.FormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * BERT's WordPiece tokenizer as a Hugging Face {@code tokenizer.json} describes it: the BERT
 * normalizer (clean text, space around CJK ideographs, strip accents, lowercase), the BERT
 * pre-tokenizer (split on whitespace, isolate each punctuation character), then greedy
 * longest-match-first word pieces with a {@code ##} continuation prefix. A word that cannot be
 * split, or is longer than max_input_chars_per_word, becomes [UNK]. {@link #encode} wraps the ids
 * in [CLS] ... [SEP] and truncates to {@link #maxLength} tokens with a warning; the default is the
 * tokenizer.json's own {@code truncation.max_length} (128 for all-MiniLM-L6-v2), as Hugging Face
 * tokenizers and LangChain4j apply it, else 512.
 */
public final class WordPieceTokenizer implements Tokenizer {
    private final Map<String, Integer> vocab;
    private final String[] pieces;
    private final String prefix;
    private final int maxCharsPerWord;
    private final int unk, cls, sep, pad;
    private final boolean lowercase, stripAccents, cleanText, chineseChars;
    /** truncation.max_length of the tokenizer.json, 0 when it has none. */
    private final int truncation;
    private int maxLength;
    private Consumer<String> warnings = System.err::println;

    private WordPieceTokenizer(Map<String, Integer> vocab, String prefix, int maxCharsPerWord, String unkToken,
                               boolean lowercase, boolean stripAccents, boolean cleanText, boolean chineseChars, int truncation, Path file) throws FormatException {
        this.truncation = truncation;
        this.maxLength = truncation > 0 ? truncation : 512;
        this.vocab = vocab; this.prefix = prefix; this.maxCharsPerWord = maxCharsPerWord;
        this.lowercase = lowercase; this.stripAccents = stripAccents; this.cleanText = cleanText; this.chineseChars = chineseChars;
        this.pieces = new String[vocab.size()];
        for (var e : vocab.entrySet()) {
            int id = e.getValue();
            if (id < 0 || id >= pieces.length || pieces[id] != null)
                throw new FormatException(file, "model.vocab", 0, "ids are not a permutation of 0.." + (pieces.length - 1) + " (at '" + e.getKey() + "' -> " + id + ")");
            pieces[id] = e.getKey();
        }
        this.unk = require(file, unkToken);
        this.cls = require(file, "[CLS]");
        this.sep = require(file, "[SEP]");
        this.pad = require(file, "[PAD]");
    }

    private int require(Path file, String token) throws FormatException {
        Integer id = vocab.get(token);
        if (id == null) throw new FormatException(file, "model.vocab", 0, "has no " + token + " token");
        return id;
    }

    /** Reads a Hugging Face tokenizer.json whose model is WordPiece. */
    public static WordPieceTokenizer fromJson(InputStream json, Path nameForErrors) throws IOException {
        JsonNode root;
        try { root = new ObjectMapper().readTree(json); }
        catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            long at = e.getLocation() == null ? 0 : e.getLocation().getCharOffset();
            throw new FormatException(nameForErrors, "json", at, "not valid JSON: " + e.getOriginalMessage());
        }
        JsonNode model = root.path("model");
        if (!"WordPiece".equals(model.path("type").asText()))
            throw new FormatException(nameForErrors, "model.type", 0, "is '" + model.path("type").asText() + "', expected WordPiece");
        JsonNode v = model.path("vocab");
        if (!v.isObject() || v.isEmpty()) throw new FormatException(nameForErrors, "model.vocab", 0, "missing or empty");
        Map<String, Integer> vocab = new HashMap<>(v.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().isIntegralNumber()) throw new FormatException(nameForErrors, "model.vocab." + e.getKey(), 0, "id '" + e.getValue() + "' is not an integer");
            if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0)
                throw new FormatException(nameForErrors, "model.vocab." + e.getKey(), 0, "id " + e.getValue() + " is outside [0, " + Integer.MAX_VALUE + "]");
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        JsonNode norm = root.path("normalizer");
        boolean lower = norm.path("lowercase").asBoolean(true);
        // HF: strip_accents null means "follow lowercase"
        boolean strip = norm.path("strip_accents").isBoolean() ? norm.path("strip_accents").asBoolean() : lower;
        JsonNode max = root.path("truncation").path("max_length");   // "truncation": null when the file sets none
        if (!max.isMissingNode() && !max.isNull() && (!max.canConvertToInt() || max.asInt() < 2))
            throw new FormatException(nameForErrors, "truncation.max_length", 0, "is " + max + ", expected an integer >= 2");
        return new WordPieceTokenizer(vocab, model.path("continuing_subword_prefix").asText("##"),
                model.path("max_input_chars_per_word").asInt(100), model.path("unk_token").asText("[UNK]"),
                lower, strip, norm.path("clean_text").asBoolean(true), norm.path("handle_chinese_chars").asBoolean(true),
                max.canConvertToInt() ? max.asInt() : 0, nameForErrors);
    }

    /**
     * A WordPiece vocabulary as llama.cpp stores it in GGUF (tokenizer.ggml.model "bert"): pieces that
     * begin a word carry a leading U+2581, continuation pieces have no "##", special tokens are
     * [BRACKETED]. The BERT uncased normaliser (lowercase, strip accents) is assumed, as GGUF has no key for it.
     */
    public static WordPieceTokenizer fromPhantomSpaceVocabulary(List<String> tokens, Path file) throws FormatException {
        Map<String, Integer> vocab = new HashMap<>(tokens.size() * 2);
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            String piece = t.startsWith("\u2581") ? t.substring(1) : t.startsWith("[") && t.endsWith("]") ? t : "##" + t;
            if (vocab.putIfAbsent(piece, i) != null)
                throw new FormatException(file, "tokenizer.ggml.tokens[" + i + "]", 0, "'" + t + "' maps to the piece '" + piece + "' twice");
        }
        return new WordPieceTokenizer(vocab, "##", 100, "[UNK]", true, true, true, true, 0, file);
    }

    /** The vocabulary in llama.cpp's GGUF spelling (see {@link #fromPhantomSpaceVocabulary}). */
    public List<String> phantomSpaceVocabulary() {
        List<String> out = new ArrayList<>(pieces.length);
        for (String p : pieces)
            out.add(p.startsWith(prefix) ? p.substring(prefix.length()) : p.startsWith("[") && p.endsWith("]") ? p : "\u2581" + p);
        return out;
    }

    /** Longest sequence {@link #encode} returns, special tokens included (BERT's 512 positions). */
    public WordPieceTokenizer withMaxLength(int maxLength) {
        if (maxLength < 2) throw new IllegalArgumentException("max length must be >= 2, got " + maxLength);
        this.maxLength = maxLength;
        return this;
    }

    public int maxLength() { return maxLength; }

    /** The tokenizer.json's truncation.max_length, if it sets one. */
    public java.util.OptionalInt truncation() { return truncation > 0 ? java.util.OptionalInt.of(truncation) : java.util.OptionalInt.empty(); }

    /**
     * The default limit for a model of maxPositions positions: the tokenizer.json's truncation when
     * it has one (never beyond the positions), else all the positions.
     */
    public WordPieceTokenizer withModelLimit(int maxPositions) {
        return withMaxLength(truncation > 0 ? Math.min(truncation, maxPositions) : maxPositions);
    }

    /** Where truncation warnings go (stderr by default). */
    public WordPieceTokenizer withWarnings(Consumer<String> sink) { this.warnings = sink; return this; }

    @Override public int vocabSize() { return pieces.length; }
    @Override public String piece(int id) { return pieces[id]; }
    @Override public int bosId() { return cls; }
    @Override public int eosId() { return sep; }
    public int padId() { return pad; }
    public int unkId() { return unk; }

    /** [CLS] pieces [SEP] when addSpecial (BERT always wants them), else the bare pieces; truncated to maxLength. */
    @Override public int[] encode(String text, boolean addSpecial) { return encodeCounted(text, addSpecial).ids(); }

    /** Token ids and how many pieces truncation dropped from the end (0 when the text fit). */
    public record Encoding(int[] ids, int dropped) {}

    /** As {@link #encode}, also telling how many pieces were dropped to fit maxLength. */
    public Encoding encodeCounted(String text, boolean addSpecial) {
        List<Integer> ids = new ArrayList<>();
        for (String word : preTokenize(normalize(text))) wordPieces(word, ids);
        int room = addSpecial ? maxLength - 2 : maxLength, dropped = Math.max(0, ids.size() - room);
        if (dropped > 0) {
            warnings.accept("warning: text of " + ids.size() + " tokens truncated to " + room + ", " + dropped + " dropped (the model reads at most " + maxLength
                    + " tokens" + (addSpecial ? " with [CLS] and [SEP]" : "") + ")");
            ids = ids.subList(0, room);
        }
        int[] out = new int[ids.size() + (addSpecial ? 2 : 0)];
        int k = 0;
        if (addSpecial) out[k++] = cls;
        for (int id : ids) out[k++] = id;
        if (addSpecial) out[k] = sep;
        return new Encoding(out, dropped);
    }

    /** A piece without its ## prefix, as normalized (lowercase, no accents); [UNK]: null, it replaced a whole word. */
    @Override public byte[] tokenBytes(int id) {
        if (id < 0 || id >= pieces.length) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + pieces.length);
        if (id == cls || id == sep || id == pad) return new byte[0];
        if (id == unk) return null;
        String p = pieces[id];
        return (p.startsWith(prefix) ? p.substring(prefix.length()) : p).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Joins pieces, gluing ## continuations to the previous piece; special tokens are dropped. */
    @Override public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            if (id == cls || id == sep || id == pad) continue;
            String p = id >= 0 && id < pieces.length ? pieces[id] : pieces[unk];
            if (p.startsWith(prefix)) sb.append(p, prefix.length(), p.length());
            else { if (!sb.isEmpty()) sb.append(' '); sb.append(p); }
        }
        return sb.toString();
    }

    // ---- normalizer ----

    String normalize(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 16);
        text.codePoints().forEach(cp -> {
            if (cleanText) {
                if (cp == 0 || cp == 0xFFFD || isControl(cp)) return;
                if (isWhitespace(cp)) { sb.append(' '); return; }
            }
            if (chineseChars && isChinese(cp)) sb.append(' ').appendCodePoint(cp).append(' ');
            else sb.appendCodePoint(cp);
        });
        String s = sb.toString();
        if (stripAccents) {
            String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
            StringBuilder out = new StringBuilder(nfd.length());
            nfd.codePoints().forEach(cp -> { if (Character.getType(cp) != Character.NON_SPACING_MARK) out.appendCodePoint(cp); });
            s = out.toString();
        }
        if (lowercase) s = s.toLowerCase(Locale.ROOT);
        return s;
    }

    /** Control characters removed by BERT's cleaning: categories Cc, Cf, Cn, Co except tab and newlines. */
    private static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') return false;
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.UNASSIGNED || t == Character.PRIVATE_USE;
    }

    /** Unicode White_Space (as Rust's char::is_whitespace; Java's isWhitespace omits no-break spaces). */
    static boolean isWhitespace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    /** CJK Unified Ideographs blocks that BERT surrounds with spaces (each ideograph is a word). */
    private static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    // ---- pre-tokenizer ----

    /** Splits on whitespace (dropped) and around every punctuation character (kept as its own word). */
    List<String> preTokenize(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (isWhitespace(cp)) { flush(cur, words); }
            else if (isPunctuation(cp)) { flush(cur, words); words.add(new String(Character.toChars(cp))); }
            else cur.appendCodePoint(cp);
        }
        flush(cur, words);
        return words;
    }

    private static void flush(StringBuilder cur, List<String> words) {
        if (!cur.isEmpty()) { words.add(cur.toString()); cur.setLength(0); }
    }

    /** ASCII punctuation (which includes $+<=>^`|~) or a Unicode P* category character. */
    static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
        int t = Character.getType(cp);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION || t == Character.START_PUNCTUATION
                || t == Character.END_PUNCTUATION || t == Character.INITIAL_QUOTE_PUNCTUATION || t == Character.FINAL_QUOTE_PUNCTUATION
                || t == Character.OTHER_PUNCTUATION;
    }

    // ---- WordPiece ----

    /** Greedy longest-match-first: the longest vocabulary prefix, then ##-continuations of the rest. */
    private void wordPieces(String word, List<Integer> out) {
        int chars = word.codePointCount(0, word.length());
        if (chars > maxCharsPerWord) { out.add(unk); return; }
        int mark = out.size();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer found = null;
            while (end > start) {
                String sub = word.substring(start, end);
                if (start > 0) sub = prefix + sub;
                found = vocab.get(sub);
                if (found != null) break;
                end = word.offsetByCodePoints(end, -1);
            }
            if (found == null) {   // one unsplittable piece makes the whole word unknown
                out.subList(mark, out.size()).clear();
                out.add(unk);
                return;
            }
            out.add(found);
            start = end;
        }
    }
}
