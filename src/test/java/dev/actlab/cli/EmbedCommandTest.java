package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `actlab embed` end to end: JSON vectors equal LangChain4j's, bad input as one-line errors with exit code 2. */
class EmbedCommandTest {
    @TempDir Path dir;

    @Test void jsonEmbeddingsMatchLangChain4j() throws Exception {
        Path lines = dir.resolve("lines.txt");
        Files.writeString(lines, "A man is playing a guitar.\n\nCafé au lait, s'il vous plaît.\n");
        InspectCommandTest.Run r = InspectCommandTest.run("embed", "--file", lines.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(384, j.get("dim").asInt());
        assertEquals(3, j.get("embeddings").size(), "one vector per line, the empty line included");
        var lc = new AllMiniLmL6V2EmbeddingModel();
        float[] ref = lc.embed("Café au lait, s'il vous plaît.").content().vector();
        JsonNode v = j.get("embeddings").get(2).get("embedding");
        double dot = 0;
        for (int i = 0; i < ref.length; i++) dot += v.get(i).asDouble() * ref[i];
        assertTrue(dot > 0.99999, "cosine with LangChain4j " + dot);
    }

    /** A real paragraph of about 300 word pieces (written for this test), longer than MiniLM's 128. */
    static final String LONG = "The Brown University Standard Corpus of Present-Day American English was compiled in the 1960s by "
            + "Henry Kučera and W. Nelson Francis at Brown University in Providence, Rhode Island. It holds about one million words "
            + "of prose printed in the United States during the calendar year 1961, drawn from five hundred samples of roughly two "
            + "thousand words each. The samples were chosen at random from fifteen categories: press reportage, editorials and "
            + "reviews, religion, skills and hobbies, popular lore, belles lettres, government documents, learned and scientific "
            + "writing, and six kinds of fiction, from general and mystery stories to science fiction, adventure, romance and "
            + "humour. For decades it was the reference point of computational linguistics: word frequency lists, the first "
            + "part-of-speech taggers and many studies of how often English speakers choose one construction over another were "
            + "built on it. Later corpora followed its design on purpose, so that British English of the same year (the LOB "
            + "corpus) and American English of the 1990s (the Frown corpus) could be compared with it sample for sample. "
            + "Its modest size, which once seemed enormous, now fits comfortably in the memory of a phone, yet it remains a "
            + "useful, carefully balanced test bed for small language models and for anyone who wants to see what a tokenizer "
            + "does with ordinary, edited, mid-century written English.";

    /**
     * A text longer than the tokenizer.json's truncation (128 for all-MiniLM-L6-v2) is cut as Hugging Face tokenizers
     * and LangChain4j cut it: the embedding equals the model's embedding of the first 127 pieces + [SEP] and
     * LangChain4j's embedding of the whole text; stderr and JSON say how many tokens were dropped; --max-tokens
     * lifts the limit.
     */
    @Test void longTextsAreTruncatedAsTheTokenizerJsonSaysAndReported() throws Exception {
        var tok = dev.actlab.model.onnx.MiniLm.tokenizer().withWarnings(w -> {});
        int[] all = tok.withMaxLength(512).encode(LONG, true);
        assertTrue(all.length > 200 && all.length < 512, "the text has " + all.length + " tokens");
        int[] cut = java.util.Arrays.copyOf(all, 128);
        cut[127] = all[all.length - 1];   // [SEP]
        var model = dev.actlab.model.onnx.MiniLm.load();
        float[] expected = model.forward(new int[][]{cut}, null, dev.actlab.model.hook.Hooks.none()).meanPooledNormalized(0);

        InspectCommandTest.Run r = InspectCommandTest.run("embed", "--text", LONG, "--text", "A short one.", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(128, j.get("max_tokens").asInt());
        assertEquals(1, j.get("truncated_texts").asInt());
        JsonNode first = j.get("embeddings").get(0);
        assertEquals(128, first.get("tokens").asInt());
        assertEquals(all.length - 128, first.get("tokens_dropped").asInt());
        assertEquals(0, j.get("embeddings").get(1).get("tokens_dropped").asInt());
        assertTrue(r.err().contains("text 1: truncated to 128 tokens, " + (all.length - 128) + " dropped"), r.err());
        assertFalse(r.err().contains("text 2"), r.err());
        double worst = 0;
        for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(first.get("embedding").get(i).floatValue() - expected[i]));
        assertEquals(0.0, worst, 1e-7, "embedding of the truncated ids");
        float[] lc = new AllMiniLmL6V2EmbeddingModel().embed(LONG).content().vector();
        assertTrue(cosine(first.get("embedding"), lc) > 0.99999, "cosine with LangChain4j " + cosine(first.get("embedding"), lc));

        r = InspectCommandTest.run("embed", "--text", LONG, "--max-tokens", "512", "--json");
        assertEquals(0, r.code(), r.err());
        first = new ObjectMapper().readTree(r.out()).get("embeddings").get(0);
        assertEquals(all.length, first.get("tokens").asInt());
        assertEquals(0, first.get("tokens_dropped").asInt());
        assertTrue(cosine(first.get("embedding"), lc) < 0.999, "all tokens embed differently: cosine " + cosine(first.get("embedding"), lc));

        r = InspectCommandTest.run("embed", "--text", LONG, "--max-tokens", "1000");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--max-tokens 1000 is outside [2, 512]"), r.err());
    }

    static double cosine(JsonNode v, float[] ref) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < ref.length; i++) { double a = v.get(i).asDouble(); dot += a * ref[i]; na += a * a; nb += (double) ref[i] * ref[i]; }
        return dot / Math.sqrt(na * nb);
    }

    @Test void badInputIsAOneLineErrorWithExitCode2() throws Exception {
        Path latin1 = dir.resolve("latin1.txt");
        Files.write(latin1, new byte[]{'o', 'k', '\n', 'c', 'a', 'f', (byte) 0xE9, '\n'});
        InspectCommandTest.Run r = InspectCommandTest.run("embed", "--file", latin1.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("line 2") && r.err().contains("invalid UTF-8"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());

        Path notOnnx = dir.resolve("model.onnx");
        Files.writeString(notOnnx, "this is not a protobuf at all, just text\n".repeat(10));
        r = InspectCommandTest.run("embed", "--model", notOnnx.toString(), "--text", "hi");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("model.onnx") && r.err().contains("offset"), r.err());

        r = InspectCommandTest.run("embed", "--model", dir.resolve("missing.onnx").toString(), "--text", "hi");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no such file"), r.err());
    }
}
