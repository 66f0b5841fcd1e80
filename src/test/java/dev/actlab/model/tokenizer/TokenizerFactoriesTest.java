package dev.actlab.model.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.knuddels.jtokkit.api.EncodingType;
import dev.actlab.io.FormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GGUF metadata and tokenizer.json carrying real vocabularies (GPT-2's r50k and cl100k, from the
 * jtokkit jar) must build tokenizers that agree with jtokkit id for id.
 */
class TokenizerFactoriesTest {
    @TempDir Path tmp;

    /** The Llama 3 pre-tokenizer pattern as its tokenizer.json spells it. */
    static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    @Test
    void ggufGpt2MetadataBuildsTheReferenceTokenizer() throws Exception {
        var v = ByteLevelBpeJtokkitTest.vocabAndMerges("cl100k_base.tiktoken");
        Map<String, Object> md = new HashMap<>();
        List<Object> tokens = new ArrayList<>(v.pieces());
        List<Object> types = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) types.add(1);
        tokens.add("[PAD100256]"); types.add(5);          // cl100k leaves 100256 unused
        tokens.add("<|endoftext|>"); types.add(3);        // 100257, control
        md.put("tokenizer.ggml.model", "gpt2");
        md.put("tokenizer.ggml.pre", "llama-bpe");
        md.put("tokenizer.ggml.tokens", tokens);
        md.put("tokenizer.ggml.token_type", types.stream().mapToInt(o -> (Integer) o).toArray());   // arrays are accepted too
        md.put("tokenizer.ggml.merges", v.merges().toArray(String[]::new));
        md.put("tokenizer.ggml.bos_token_id", 100257L);
        md.put("tokenizer.ggml.eos_token_id", 100257);
        Tokenizer t = GgufTokenizers.fromMetadata(md, Path.of("m.gguf"));
        assertInstanceOf(ByteLevelBpeTokenizer.class, t);
        ByteLevelBpeJtokkitTest.assertSameAsReference(EncodingType.CL100K_BASE, t);
        assertEquals(100257, t.encode("hi", true)[0]);
        assertEquals("hi", t.decode(t.encode("hi<|endoftext|>", true)));
        md.put("tokenizer.ggml.add_bos_token", false);
        assertEquals(-1, GgufTokenizers.fromMetadata(md, Path.of("m.gguf")).bosId());

        md.put("tokenizer.ggml.pre", "deepseek-coder");
        FormatException e = assertThrows(FormatException.class, () -> GgufTokenizers.fromMetadata(md, Path.of("m.gguf")));
        assertEquals("tokenizer.ggml.pre", e.field());
        md.put("tokenizer.ggml.pre", "gpt2");
        md.put("tokenizer.ggml.bos_token_id", 200000);
        e = assertThrows(FormatException.class, () -> GgufTokenizers.fromMetadata(md, Path.of("m.gguf")));
        assertEquals("tokenizer.ggml.bos_token_id", e.field());
        md.put("tokenizer.ggml.bos_token_id", 100257);
        md.put("tokenizer.ggml.model", "rwkv");
        e = assertThrows(FormatException.class, () -> GgufTokenizers.fromMetadata(md, Path.of("m.gguf")));
        assertEquals("tokenizer.ggml.model", e.field());
    }

    @Test
    void gpt2TokenizerJsonMatchesR50k() throws Exception {
        var v = ByteLevelBpeJtokkitTest.vocabAndMerges("r50k_base.tiktoken");
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < v.pieces().size(); i++) vocab.put(v.pieces().get(i), i);
        vocab.put("<|endoftext|>", 50256);
        ArrayNode merges = model.putArray("merges");
        v.merges().forEach(merges::add);                 // the classic "a b" string form
        root.putArray("added_tokens").addObject().put("id", 50256).put("content", "<|endoftext|>").put("special", true);
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel");
        Path file = tmp.resolve("tokenizer.json");
        json.writeValue(file.toFile(), root);
        Tokenizer t = HfTokenizerJson.load(file);
        int tokens = ByteLevelBpeJtokkitTest.assertSameAsReference(EncodingType.R50K_BASE, t);
        assertEquals(50257, t.vocabSize());
        assertEquals(-1, t.bosId());
        assertTrue(tokens > 1000);
    }

    @Test
    void llama3StyleTokenizerJsonMatchesCl100k() throws Exception {
        var v = ByteLevelBpeJtokkitTest.vocabAndMerges("cl100k_base.tiktoken");
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < v.pieces().size(); i++) vocab.put(v.pieces().get(i), i);
        ArrayNode merges = model.putArray("merges");
        for (String m : v.merges()) merges.addArray().add(m.split(" ")[0]).add(m.split(" ")[1]);   // the newer pair form
        ArrayNode added = root.putArray("added_tokens");
        added.addObject().put("id", 100257).put("content", "<|begin_of_text|>").put("special", true);
        added.addObject().put("id", 100258).put("content", "<|end_of_text|>").put("special", true);
        ObjectNode pre = root.putObject("pre_tokenizer").put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject().put("type", "Split");
        split.putObject("pattern").put("Regex", LLAMA3_REGEX);
        split.put("behavior", "Isolated").put("invert", false);
        steps.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", false);
        ObjectNode post = root.putObject("post_processor").put("type", "Sequence");
        ObjectNode template = post.putArray("processors").addObject().put("type", "TemplateProcessing");
        ArrayNode single = template.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<|begin_of_text|>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        Path file = tmp.resolve("tokenizer.json");
        json.writeValue(file.toFile(), root);
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|end_of_text|>\"}");
        Tokenizer t = HfTokenizerJson.load(file);
        ByteLevelBpeJtokkitTest.assertSameAsReference(EncodingType.CL100K_BASE, t);
        assertEquals(100257, t.bosId());
        assertEquals(100258, t.eosId());
        int[] ids = t.encode("Hello<|end_of_text|>", true);
        assertEquals(100257, ids[0]);
        assertEquals(100258, ids[ids.length - 1]);
        assertEquals("Hello", t.decode(ids));
    }

    /** Issue 23: messages that said the wrong thing ("'BPE' is not supported (BPE)", "is not an integer"). */
    @Test
    void malformedTokenizerJsonSaysWhatIsWrong() throws Exception {
        Path f = tmp.resolve("tokenizer.json");
        String[][] cases = {
                {"{}", "model", "is missing: not a Hugging Face tokenizer.json (it has no \"model\" object)"},
                {"{\"model\": {\"type\": \"Unigram\"}}", "model.type", "'Unigram' is not supported (BPE)"},
                {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}", "model.merges", "is missing or not a list: a BPE model needs its merges"},
                {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 99999999999}, \"merges\": []}}", "model.vocab.a", "99999999999 is outside the token ids [0, 2^22)"},
                {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 1.5}, \"merges\": []}}", "model.vocab.a", "'1.5' is not an integer token id"},
                {"[]", "(root)", "is not a JSON object"},
        };
        for (String[] c : cases) {
            Files.writeString(f, c[0]);
            FormatException e = assertThrows(FormatException.class, () -> HfTokenizerJson.load(f), c[0]);
            assertEquals(c[1], e.field(), c[0]);
            assertTrue(e.getMessage().endsWith(c[2]), e.getMessage());
        }
        FormatException w = assertThrows(FormatException.class, () -> WordPieceTokenizer.fromJson(
                new java.io.ByteArrayInputStream("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 99999999999}}}".getBytes()), f));
        assertTrue(w.getMessage().endsWith("id 99999999999 is outside [0, 2147483647]"), w.getMessage());
    }

    /** Issue 23 (non-finite values): a NaN SentencePiece score would make the merge order, so every tokenization, arbitrary. */
    @Test
    void aNaNScoreIsRefused() throws Exception {
        Map<String, Object> md = new HashMap<>();
        md.put("tokenizer.ggml.model", "llama");
        md.put("tokenizer.ggml.tokens", new String[]{"<unk>", "<s>", "</s>", "\u2581a", "b", "\u2581ab"});
        md.put("tokenizer.ggml.scores", new float[]{0, 0, 0, -1, -2, Float.NaN});
        FormatException e = assertThrows(FormatException.class, () -> GgufTokenizers.fromMetadata(md, Path.of("m.gguf")));
        assertEquals("tokenizer.ggml.scores[5]", e.field());
        assertTrue(e.getMessage().endsWith("is NaN: merge priorities must be numbers"), e.getMessage());
        md.put("tokenizer.ggml.scores", new float[]{0, 0, 0, -1, -2, -3});
        assertNotNull(GgufTokenizers.fromMetadata(md, Path.of("m.gguf")));
    }
}
