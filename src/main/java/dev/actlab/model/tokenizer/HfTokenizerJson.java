package dev.actlab.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.io.FormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a Hugging Face tokenizer.json whose model is "BPE", in one of two styles:
 * <ul>
 * <li>byte-level (GPT-2, Llama 3, Qwen2): a ByteLevel pre-tokenizer, alone (GPT-2 regex) or after a
 *     Split with its own regex, which is used as written; an NFC normalizer is applied.</li>
 * <li>SentencePiece-style (Llama 2, Mistral): byte_fallback, spaces as "▁" via a Metaspace
 *     pre-tokenizer or Prepend/Replace normalizers. Merges are ranked pairs in this format, so
 *     each piece's score is minus the rank of the first merge that produces it; this equals
 *     SentencePiece's order for files converted from SentencePiece (merges sorted by score).</li>
 * </ul>
 * Added tokens are matched verbatim before BPE; "special" ones are dropped on decode. BOS is the
 * first special token of the post-processor's single-sequence template (none: bosId() = -1); EOS
 * comes from tokenizer_config.json's eos_token beside the file when present.
 * Not covered: WordPiece/Unigram models, ByteLevel add_prefix_space, other normalizers
 * (lowercase, NFKC...), dropout, continuing_subword_prefix; each is an error naming its field.
 */
public final class HfTokenizerJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HfTokenizerJson() {}

    public static Tokenizer load(Path file) throws IOException {
        JsonNode root;
        try { root = JSON.readTree(file.toFile()); }
        catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new FormatException(file, "(json)", e.getLocation() == null ? 0 : Math.max(0, e.getLocation().getByteOffset()), e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new FormatException(file, "(root)", 0, "is not a JSON object");
        JsonNode model = root.path("model");
        if (!model.isObject()) throw new FormatException(file, "model", 0, "is missing: not a Hugging Face tokenizer.json (it has no \"model\" object)");
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) throw new FormatException(file, "model.type", 0, "'" + type + "' is not supported (BPE)");
        if (!model.path("merges").isArray()) throw new FormatException(file, "model.merges", 0, "is missing or not a list: a BPE model needs its merges");
        if (!model.path("dropout").isNull() && !model.path("dropout").isMissingNode())
            throw new FormatException(file, "model.dropout", 0, "BPE dropout is not supported");
        if (!model.path("continuing_subword_prefix").asText("").isEmpty() || !model.path("end_of_word_suffix").asText("").isEmpty())
            throw new FormatException(file, "model.continuing_subword_prefix", 0, "subword prefixes/suffixes are not supported");

        // vocabulary and added tokens -> pieces by id
        Map<String, Integer> vocab = new HashMap<>();
        int size = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = tokenId(file, "model.vocab." + e.getKey(), e.getValue());
            vocab.put(e.getKey(), id);
            size = Math.max(size, id + 1);
        }
        Map<String, Integer> added = new HashMap<>();
        Set<Integer> specialIds = new HashSet<>();
        for (JsonNode t : root.path("added_tokens")) {
            int id = tokenId(file, "added_tokens.id", t.path("id"));
            String content = t.path("content").asText();
            added.put(content, id);
            if (t.path("special").asBoolean(false)) specialIds.add(id);
            size = Math.max(size, id + 1);
        }
        String[] pieces = new String[size];
        vocab.forEach((p, id) -> pieces[id] = p);
        added.forEach((p, id) -> pieces[id] = p);
        for (int i = 0; i < size; i++) if (pieces[i] == null) pieces[i] = "";   // gaps in the id space decode to nothing
        List<String> merges = merges(file, model.path("merges"));
        int bos = bos(root, vocab, added);
        int eos = eos(file, vocab, added);

        if (isSentencePieceStyle(root)) {
            float[] scores = new float[size];
            Arrays.fill(scores, Float.NaN);
            for (int r = 0; r < merges.size(); r++) {
                Integer id = vocab.get(merges.get(r).replace(" ", ""));
                if (id != null && Float.isNaN(scores[id])) scores[id] = -r;
            }
            int[] types = new int[size];
            Arrays.fill(types, SentencePieceBpeTokenizer.NORMAL);
            for (Map.Entry<String, Integer> e : added.entrySet())
                types[e.getValue()] = specialIds.contains(e.getValue()) ? SentencePieceBpeTokenizer.CONTROL : SentencePieceBpeTokenizer.USER_DEFINED;
            String unkText = model.path("unk_token").asText(null);
            int unk = unkText != null && vocab.containsKey(unkText) ? vocab.get(unkText) : -1;
            if (unk >= 0) types[unk] = SentencePieceBpeTokenizer.UNKNOWN;
            return new SentencePieceBpeTokenizer(List.of(pieces), scores, types, bos, eos, unk, addsSpacePrefix(root), true);
        }
        PreTokenizer pre = byteLevelPreTokenizer(file, root.path("pre_tokenizer"));
        java.text.Normalizer.Form form = null;
        JsonNode norm = root.path("normalizer");
        if (!norm.isNull() && !norm.isMissingNode()) {
            if (norm.path("type").asText().equals("NFC")) form = java.text.Normalizer.Form.NFC;
            else throw new FormatException(file, "normalizer.type", 0, "'" + norm.path("type").asText() + "' is not supported for byte-level BPE (NFC)");
        }
        try {
            return new ByteLevelBpeTokenizer(List.of(pieces), merges, pre, added, specialIds, bos, eos, form);
        } catch (IllegalArgumentException e) {
            throw new FormatException(file, "model.merges", 0, e.getMessage());
        }
    }

    private static int tokenId(Path file, String field, JsonNode v) throws FormatException {
        if (!v.isIntegralNumber()) throw new FormatException(file, field, 0, "'" + v + "' is not an integer token id");
        if (!v.canConvertToInt() || v.asInt() < 0 || v.asInt() >= (1 << 22))
            throw new FormatException(file, field, 0, v + " is outside the token ids [0, 2^22)");
        return v.asInt();
    }

    /** Merges as "left right", from either the string form or the newer [left, right] pair form. */
    private static List<String> merges(Path file, JsonNode node) throws FormatException {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            if (m.isTextual()) out.add(m.asText());
            else if (m.isArray() && m.size() == 2) out.add(m.get(0).asText() + " " + m.get(1).asText());
            else throw new FormatException(file, "model.merges[" + i + "]", 0, "is neither \"a b\" nor [a, b]");
        }
        return out;
    }

    private static boolean isSentencePieceStyle(JsonNode root) {
        return root.path("model").path("byte_fallback").asBoolean(false) || root.toString().contains("\"Metaspace\"")
                || root.path("normalizer").toString().contains("\u2581");
    }

    private static boolean addsSpacePrefix(JsonNode root) {
        String normalizer = root.path("normalizer").toString();
        if (normalizer.contains("\"Prepend\"")) return true;
        for (JsonNode m : findAll(root.path("pre_tokenizer"), "Metaspace")) {
            String scheme = m.path("prepend_scheme").asText(m.path("add_prefix_space").asBoolean(true) ? "always" : "never");
            return !scheme.equals("never");
        }
        return false;
    }

    private static PreTokenizer byteLevelPreTokenizer(Path file, JsonNode pre) throws FormatException {
        List<JsonNode> byteLevel = findAll(pre, "ByteLevel");
        if (byteLevel.isEmpty()) throw new FormatException(file, "pre_tokenizer", 0, "has no ByteLevel step: neither byte-level nor SentencePiece-style BPE");
        if (byteLevel.get(0).path("add_prefix_space").asBoolean(false))
            throw new FormatException(file, "pre_tokenizer.add_prefix_space", 0, "add_prefix_space is not supported");
        List<JsonNode> splits = findAll(pre, "Split");
        if (!splits.isEmpty()) {
            String regex = splits.get(0).path("pattern").path("Regex").asText(null);
            if (regex == null) throw new FormatException(file, "pre_tokenizer.pattern", 0, "only Regex split patterns are supported");
            try { return PreTokenizer.of("tokenizer.json", regex); }
            catch (java.util.regex.PatternSyntaxException e) { throw new FormatException(file, "pre_tokenizer.pattern.Regex", 0, e.getMessage()); }
        }
        if (!byteLevel.get(0).path("use_regex").asBoolean(true))
            throw new FormatException(file, "pre_tokenizer", 0, "ByteLevel without regex and without a Split step is not supported");
        return PreTokenizer.GPT2;
    }

    /** Every object of the given "type" inside node (depth first). */
    private static List<JsonNode> findAll(JsonNode node, String type) {
        List<JsonNode> out = new ArrayList<>();
        if (node.isObject() && type.equals(node.path("type").asText())) out.add(node);
        if (node.isContainerNode()) for (JsonNode child : node) out.addAll(findAll(child, type));
        return out;
    }

    /** The special token the post-processor puts before a single sequence, or -1. */
    private static int bos(JsonNode root, Map<String, Integer> vocab, Map<String, Integer> added) {
        for (JsonNode tp : findAll(root.path("post_processor"), "TemplateProcessing")) {
            JsonNode single = tp.path("single");
            if (single.size() > 0 && single.get(0).has("SpecialToken")) {
                String name = single.get(0).path("SpecialToken").path("id").asText();
                Integer id = added.containsKey(name) ? added.get(name) : vocab.get(name);
                if (id != null) return id;
            }
        }
        return -1;
    }

    /** tokenizer_config.json's eos_token, when that file is beside tokenizer.json. */
    private static int eos(Path file, Map<String, Integer> vocab, Map<String, Integer> added) throws IOException {
        Path cfg = file.resolveSibling("tokenizer_config.json");
        if (!Files.isRegularFile(cfg)) return -1;
        JsonNode eos;
        try { eos = JSON.readTree(cfg.toFile()).path("eos_token"); }
        catch (com.fasterxml.jackson.core.JsonProcessingException e) { throw new FormatException(cfg, "(json)", 0, e.getOriginalMessage()); }
        String name = eos.isTextual() ? eos.asText() : eos.path("content").asText(null);
        if (name == null) return -1;
        Integer id = added.containsKey(name) ? added.get(name) : vocab.get(name);
        return id == null ? -1 : id;
    }
}
