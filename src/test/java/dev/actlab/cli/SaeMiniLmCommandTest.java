package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.load.ModelRef;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sae train and eval on MiniLM read the whole text (past the tokenizer's 128-token truncation) and eval reports the embedding figures. */
class SaeMiniLmCommandTest {
    @TempDir Path dir;
    static final String TEXT = "The Fulton County Grand Jury said Friday an investigation of the city's recent primary election "
            + "produced no evidence that any irregularities took place. The jury further said in term-end presentments that the "
            + "City Executive Committee, which had over-all charge of the election, deserves the praise and thanks of the City of "
            + "Atlanta for the manner in which the election was conducted. ";

    @Test void trainsAndEvaluatesOnTheEncoderOverTheWholeText() throws Exception {
        Path text = dir.resolve("t.txt");
        Files.writeString(text, TEXT.repeat(3));
        BertModel m = ModelRef.encoder("minilm");
        int tokens = m.tokenizer().withMaxLength(Integer.MAX_VALUE).encode(Files.readString(text), false).length;
        assertTrue(tokens > 200, "longer than one MiniLM sequence: " + tokens);
        var r = InspectCommandTest.run("sae", "train", "--model", "minilm", "--text", text.toString(), "--site", "blocks.3.hook_resid_post",
                "--k", "8", "--expansion", "2", "--tokens", "512", "--batch", "64", "--ctx", "32", "--pool", "128", "--out", dir.resolve("s").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("(" + tokens + " text tokens"), r.err());
        assertFalse(r.err().contains("truncated"), r.err());
        var e = InspectCommandTest.run("sae", "eval", "--model", "minilm", "--sae", dir.resolve("s").toString(), "--text", text.toString(), "--ctx", "32", "--json");
        assertEquals(0, e.code(), e.err());
        JsonNode j = new ObjectMapper().readTree(e.out());
        assertEquals(tokens / 31, j.get("windows").asInt());
        assertEquals(8.0, j.get("l0").asDouble(), 1e-9);
        double s = j.get("embedding_cos_spliced").asDouble(), z = j.get("embedding_cos_zero_ablated").asDouble();
        assertEquals((s - z) / (1 - z), j.get("embedding_recovered").asDouble(), 1e-12);
    }
}
