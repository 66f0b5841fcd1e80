package dev.actlab.train;

import dev.actlab.io.AtomicFile;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.actlab.io.FormatException;
import dev.actlab.model.gguf.GgufValue;
import dev.actlab.model.gguf.GgufValueType;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.tokenizer.ByteLevelBpeTokenizer;
import dev.actlab.model.tokenizer.PreTokenizer;
import dev.actlab.model.tokenizer.SentencePieceBpeTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A byte-level BPE vocabulary learned by {@link BpeTrainer}: pieces by id (byte-level alphabet),
 * merges in the order they were learned, the pre-tokenizer, and the special tokens (ids 256...;
 * the first is BOS, the second EOS). Saved as a Hugging Face tokenizer.json or as GGUF
 * tokenizer.ggml.* metadata; both load back into a {@link ByteLevelBpeTokenizer}.
 *
 * @param segmentation every training pre-token -> the ids the trainer ended with (for checks)
 */
public record BpeVocabulary(List<String> pieces, List<String> merges, PreTokenizer pre, List<String> specials,
                            Map<String, int[]> segmentation) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public int bosId() { return specials.isEmpty() ? -1 : 256; }
    public int eosId() { return specials.size() < 2 ? -1 : 257; }
    public int size() { return pieces.size(); }

    public ByteLevelBpeTokenizer tokenizer() {
        Map<String, Integer> special = new HashMap<>();
        Set<Integer> control = new HashSet<>();
        for (int i = 0; i < specials.size(); i++) { special.put(specials.get(i), 256 + i); control.add(256 + i); }
        return new ByteLevelBpeTokenizer(pieces, merges, pre, special, control, bosId(), eosId());
    }

    /** GGUF name of the pre-tokenizer (tokenizer.ggml.pre). */
    public String ggufPre() {
        // llama.cpp knows the GPT-2 pre-tokenizer as "gpt-2" and refuses "gpt2"; actlab reads both
        if (pre.pattern().pattern().equals(PreTokenizer.GPT2.pattern().pattern())) return "gpt-2";
        if (pre.pattern().pattern().equals(PreTokenizer.LLAMA3.pattern().pattern())) return "llama-bpe";
        throw new IllegalStateException("pre-tokenizer " + pre.name() + " has no GGUF name");
    }

    /** The tokenizer.ggml.* keys GgufTokenizers.fromMetadata reads ("gpt2" = byte-level BPE). */
    public Map<String, Object> ggufMetadata() {
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("tokenizer.ggml.model", "gpt2");
        md.put("tokenizer.ggml.pre", ggufPre());
        md.put("tokenizer.ggml.tokens", pieces.toArray(String[]::new));
        int[] types = new int[pieces.size()];
        java.util.Arrays.fill(types, SentencePieceBpeTokenizer.NORMAL);
        for (int i = 0; i < specials.size(); i++) types[256 + i] = SentencePieceBpeTokenizer.CONTROL;
        md.put("tokenizer.ggml.token_type", types);
        md.put("tokenizer.ggml.merges", merges.toArray(String[]::new));
        if (bosId() >= 0) md.put("tokenizer.ggml.bos_token_id", bosId());
        if (eosId() >= 0) md.put("tokenizer.ggml.eos_token_id", eosId());
        md.put("tokenizer.ggml.add_bos_token", bosId() >= 0);
        return md;
    }

    /** Adds the tokenizer.ggml.* keys of {@link #ggufMetadata} to a GGUF being written. */
    public void putGguf(GgufWriter w) {
        for (Map.Entry<String, Object> e : ggufMetadata().entrySet()) {
            Object v = e.getValue();
            w.put(e.getKey(), switch (v) {
                case String s -> GgufValue.string(s);
                case Integer i -> GgufValue.u32(i);
                case Boolean b -> GgufValue.of(GgufValueType.BOOL, b);
                case String[] a -> GgufValue.array(GgufValueType.STRING, a);
                case int[] a -> GgufValue.array(GgufValueType.INT32, a);
                default -> throw new IllegalStateException(e.getKey() + ": " + v.getClass());
            });
        }
    }

    /**
     * Reads back DIR/tokenizer.json as written by {@link #writeTokenizerJson} (to resume a run
     * and export its GGUF); the segmentation is left empty.
     */
    public static BpeVocabulary readTokenizerJson(Path file) throws IOException {
        var root = JSON.readTree(file.toFile());
        var model = root.path("model");
        int size = model.path("vocab").size() + root.path("added_tokens").size();
        String[] pieces = new String[size];
        model.path("vocab").fields().forEachRemaining(e -> { int id = e.getValue().asInt(-1); if (id >= 0 && id < size) pieces[id] = e.getKey(); });
        List<String> specials = new java.util.ArrayList<>();
        for (var t : root.path("added_tokens")) {
            int id = t.path("id").asInt(-1);
            if (id != 256 + specials.size()) throw new FormatException(file, "added_tokens", 0, "special tokens must have ids 256, 257, ...");
            pieces[id] = t.path("content").asText();
            specials.add(pieces[id]);
        }
        for (int i = 0; i < size; i++) if (pieces[i] == null) throw new FormatException(file, "model.vocab", 0, "token id " + i + " is missing");
        List<String> merges = new java.util.ArrayList<>();
        for (var m : model.path("merges")) merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        String regex = root.path("pre_tokenizer").path("pretokenizers").path(0).path("pattern").path("Regex").asText("");
        PreTokenizer pre = regex.equals(PreTokenizer.GPT2.pattern().pattern()) ? PreTokenizer.GPT2
                : regex.equals(PreTokenizer.LLAMA3.pattern().pattern()) ? PreTokenizer.LLAMA3 : null;
        if (pre == null) throw new FormatException(file, "pre_tokenizer", 0, "is neither the GPT-2 nor the Llama 3 pattern");
        return new BpeVocabulary(List.of(pieces), merges, pre, specials, Map.of());
    }

    /**
     * DIR/tokenizer.json (BPE model, Split(pattern) + ByteLevel pre-tokenizer, BOS template) and
     * DIR/tokenizer_config.json (bos/eos names), each written to a temp file and moved.
     */
    public void writeTokenizerJson(Path dir) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < specials.size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", 256 + i).put("content", specials.get(i)).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pt = root.putObject("pre_tokenizer");
        pt.put("type", "Sequence");
        ArrayNode steps = pt.putArray("pretokenizers");
        ObjectNode split = steps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", pre.pattern().pattern());
        split.put("behavior", "Isolated").put("invert", false);
        steps.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", false);
        if (bosId() >= 0) {
            String bos = specials.get(0);
            ObjectNode post = root.putObject("post_processor");
            post.put("type", "TemplateProcessing");
            ArrayNode single = post.putArray("single");
            single.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
            single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            ArrayNode pair = post.putArray("pair");
            pair.add(single.get(0)).add(single.get(1));
            pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 1);
            pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
            ObjectNode st = post.putObject("special_tokens").putObject(bos);
            st.put("id", bos);
            st.putArray("ids").add(bosId());
            st.putArray("tokens").add(bos);
        } else root.putNull("post_processor");
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        Set<Integer> specialIds = new HashSet<>();
        for (int i = 0; i < specials.size(); i++) specialIds.add(256 + i);
        for (int i = 0; i < pieces.size(); i++) if (!specialIds.contains(i)) vocab.put(pieces.get(i), i);
        ArrayNode m = model.putArray("merges");
        for (String merge : merges) {
            int sp = merge.indexOf(' ');
            m.addArray().add(merge.substring(0, sp)).add(merge.substring(sp + 1));
        }
        AtomicFile.writeBytes(dir.resolve("tokenizer.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        ObjectNode cfg = JSON.createObjectNode();
        cfg.put("tokenizer_class", "PreTrainedTokenizerFast");
        if (bosId() >= 0) cfg.put("bos_token", specials.get(0));
        if (eosId() >= 0) cfg.put("eos_token", specials.get(1));
        AtomicFile.writeBytes(dir.resolve("tokenizer_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg));
    }
}
