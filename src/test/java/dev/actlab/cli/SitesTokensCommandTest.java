package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.cli.CliMessagesTest.Result;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** actlab sites, tokenize, detokenize, and the nearest-site message of every command that takes a site glob. */
class SitesTokensCommandTest {
    @TempDir Path dir;

    @Test
    void sitesListsEveryHookWithItsShapeGroupedByBlock() throws Exception {
        Result r = CliMessagesTest.run("sites", "--positions", "5", "--json", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(5, j.get("blocks").asInt());
        assertEquals(3 + 5 * 20, j.get("sites").size());   // actlab-brown: 3 global sites, 20 per block
        for (JsonNode s : j.get("sites")) {
            String name = s.get("name").asText();
            String dims = s.get("dims").toString(), shape = s.get("shape").toString();
            switch (name) {
                case "hook_embed", "blocks.4.hook_resid_post", "blocks.0.hook_attn_out" -> { assertEquals("[\"pos\",\"d_model\"]", dims); assertEquals("[5,192]", shape); }
                case "blocks.2.attn.hook_q" -> { assertEquals("[\"pos\",\"heads\",\"d_head\"]", dims); assertEquals("[5,6,32]", shape); }
                case "blocks.2.attn.hook_k" -> { assertEquals("[\"pos\",\"kv_heads\",\"d_head\"]", dims); assertEquals("[5,2,32]", shape); }
                case "blocks.1.attn.hook_pattern" -> { assertEquals("[\"heads\",\"q_pos\",\"k_pos\"]", dims); assertEquals("[6,5,5]", shape); }
                case "blocks.3.mlp.hook_post" -> assertEquals("[\"pos\",\"d_mlp\"]", dims);
                default -> {}
            }
            if (name.startsWith("blocks.")) assertEquals(dev.actlab.model.hook.HookSite.layerOf(name), s.get("block").asInt());
        }
        Result text = CliMessagesTest.run("sites", "--model", "minilm", "--threads", "1");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("block 5"), text.out());
        assertTrue(text.out().matches("(?s).*blocks\\.5\\.attn\\.hook_pattern\\s+\\[heads, q_pos, k_pos\\]\\s+\\[12, 4, 4\\].*"), text.out());
    }

    @Test
    void tokenizeGivesIdsPiecesAndByteOffsetsAndDetokenizeInvertsIt() throws Exception {
        String text = "The jury said wö";
        Result r = CliMessagesTest.run("tokenize", "--text", text, "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        JsonNode toks = j.get("tokens");
        assertEquals("<|bos|>", toks.get(0).get("piece").asText());
        StringBuilder ids = new StringBuilder();
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long end = 0;
        for (JsonNode t : toks) {
            ids.append(t.get("id").asInt()).append(' ');
            assertEquals(end, t.get("start").asLong(), t.toString());   // the spans tile the text
            end = t.get("end").asLong();
        }
        assertEquals(bytes.length, end);
        assertTrue(r.out().contains("<0xC3>"), r.out());   // ö is split into byte tokens here
        Result back = CliMessagesTest.run("detokenize", "--tokens", ids.toString().trim());
        assertEquals(0, back.code(), back.err());
        assertEquals(text, back.out().strip());
        Result plain = CliMessagesTest.run("tokenize", "--model", "minilm", "--text", "Hello, world", "--no-bos");
        assertEquals(0, plain.code(), plain.err());
        assertTrue(plain.out().startsWith("3 tokens\n7592 1010 2088"), plain.out());
        Result bad = CliMessagesTest.run("detokenize", "--tokens", "1 99999");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("99999 is not a token id"), bad.err());
    }

    @Test
    void aGlobThatMatchesNothingNamesTheNearestSitesEverywhere() {
        String[][] commands = {
                {"capture", "--sites", "blocks.*.hook_resid_pots", "--tokens", "1 2 3", "--out", dir.resolve("c").toString()},
                {"patch", "--clean", "a b", "--corrupt", "a c", "--metric", "logprob:#5", "--sites", "blocks.*.hook_resid_pots"},
                {"steer", "extract", "--pairs", "src/main/resources/dev/actlab/steer/present-past.tsv", "--site", "blocks.*.hook_resid_pots", "--out", dir.resolve("v.gguf").toString()},
                {"probe", "train", "--pairs", "src/main/resources/dev/actlab/steer/present-past.tsv", "--site", "blocks.*.hook_resid_pots", "--out", dir.resolve("p").toString()},
        };
        for (String[] c : commands) {
            Result r = CliMessagesTest.run(c);
            assertEquals(2, r.code(), String.join(" ", c) + "\n" + r.err());
            assertTrue(r.err().contains("matches no site of"), r.err());
            assertTrue(r.err().contains("(5 blocks, layers 0..4); nearest: blocks.*.hook_resid_post"), r.err());
        }
    }
}
