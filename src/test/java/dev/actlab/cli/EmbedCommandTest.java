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
