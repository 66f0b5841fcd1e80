package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.cli.CliMessagesTest.Result;
import dev.actlab.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --tokenizer FILE on the decoder commands: a tokenizer.bin, a tokenizer.json or a GGUF's, checked against the model. */
class TokenizerOptionTest {
    static final String LLAMA2C = "src/test/resources/llama2c/tokenizer.bin";
    static final String BROWN = "models/actlab-brown.gguf";

    @Test void aGgufsTokenizerInPlaceOfTheModelsOwnGivesTheSameIdsAndText() {
        Result own = CliMessagesTest.run("tokenize", "--model", BROWN, "--text", "The jury said wö");
        Result given = CliMessagesTest.run("tokenize", "--model", BROWN, "--tokenizer", BROWN, "--text", "The jury said wö");
        assertEquals(0, given.code(), given.err());
        assertEquals(own.out(), given.out());
        Result run = CliMessagesTest.run("run", "--model", BROWN, "--tokenizer", BROWN, "--prompt", "The jury said", "--max-tokens", "8", "--threads", "1");
        Result runOwn = CliMessagesTest.run("run", "--model", BROWN, "--prompt", "The jury said", "--max-tokens", "8", "--threads", "1");
        assertEquals(0, run.code(), run.err());
        assertEquals(runOwn.out(), run.out());
        assertTrue(run.out().startsWith("The jury said"), run.out());
    }

    @Test void aTokenizerThatDoesNotFitTheModelIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
        Result r = CliMessagesTest.run("run", "--model", Shared.stories260K().toString(), "--tokenizer", LLAMA2C, "--prompt", "Once");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("tokenizer.bin") && r.err().contains("32000") && r.err().contains("512"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        Result missing = CliMessagesTest.run("tokenize", "--tokenizer", dir.resolve("nope.bin").toString(), "--text", "x");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("nope.bin"), missing.err());
        Path junk = dir.resolve("junk.json");
        Files.writeString(junk, "{\"not\": \"a tokenizer\"}");
        Result bad = CliMessagesTest.run("tokenize", "--tokenizer", junk.toString(), "--text", "x");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("junk.json") && bad.err().contains("model"), bad.err());
        Result enc = CliMessagesTest.run("embed", "--tokenizer", LLAMA2C, "--text", "x");
        assertEquals(2, enc.code());
        assertTrue(enc.err().contains("--tokenizer"), enc.err());
    }
}
