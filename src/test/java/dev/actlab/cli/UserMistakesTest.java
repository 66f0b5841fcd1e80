package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.cli.CliMessagesTest.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 22's small things: each mistake is one line on stderr, exit code 2, said before any work. */
class UserMistakesTest {
    @TempDir Path dir;

    static Result run(String... args) { return CliMessagesTest.run(args); }

    static void refused(Result r, String expected) {
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertEquals("", r.out());
    }

    @Test
    void anOutThatIsAFileIsRefusedBeforeTheWorkStarts() throws Exception {
        Path file = Files.writeString(dir.resolve("taken"), "mine");
        String f = file.toString();
        refused(run("inspect", "--prompt", "The jury said", "--out", f), "--out " + f + ": is a file, not a directory");
        refused(run("patch", "--clean", "the man", "--corrupt", "the dog", "--metric", "logprob:#5", "--out", f), "is a file, not a directory");
        refused(run("capture", "--prompt", "The jury said", "--sites", "hook_embed", "--out", f), "is a file, not a directory");
        refused(run("probe", "train", "--pairs", "src/main/resources/dev/actlab/steer/present-past.tsv", "--out", f), "is a file, not a directory");
        refused(run("steer", "sweep", "--vector", "none.gguf", "--effect", "logprob:#5", "--prompt", "x", "--neutral", "y", "--out", f), "is a file, not a directory");
        refused(run("steer", "extract", "--pairs", "src/main/resources/dev/actlab/steer/present-past.tsv", "--out", dir.toString()), "is a directory, not a file");
        refused(run("ppl", "--tokens-file", f, "--save-logits", dir.toString()), "--save-logits " + dir + ": is a directory, not a file");
        // a file where a parent directory should be
        refused(run("logits", "--tokens", "256 464", "--out", file.resolve("l.f32").toString()), file + " is a file, so nothing can be written under it");
        assertEquals("mine", Files.readString(file));
    }

    @Test
    void emptyTextIsAnErrorNotARunOnTheStartToken() throws Exception {
        refused(run("run", "--prompt", ""), "--prompt is empty");
        refused(run("capture", "--prompt", "", "--sites", "hook_embed", "--out", dir.resolve("c").toString()), "--prompt is empty");
        Path empty = Files.writeString(dir.resolve("empty.txt"), "");
        refused(run("capture", "--text", empty.toString(), "--sites", "hook_embed", "--out", dir.resolve("c").toString()), empty + ": the file is empty");
        refused(run("embed", "--text", "a cat", "--text", ""), "--text number 2 is empty");
        Path lines = Files.writeString(dir.resolve("lines.txt"), "\n  \n\n");   // empty lines inside a file keep their place; all empty is refused
        refused(run("embed", "--file", lines.toString()), lines + ": every line is empty");
        assertFalse(Files.exists(dir.resolve("c")));
    }

    @Test
    void captureTakesAPromptLikeTheOtherCommands() throws Exception {
        Path out = dir.resolve("store");
        Result r = run("capture", "--prompt", "The jury said", "--sites", "blocks.*.hook_resid_post", "--out", out.toString(), "--json", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        int tokens = new com.fasterxml.jackson.databind.ObjectMapper().readTree(run("tokenize", "--text", "The jury said", "--json").out()).get("ids").size();
        assertEquals(tokens, new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out()).get("rows").asInt());
        assertTrue(Files.exists(out.resolve("manifest.json")));
    }

    @Test
    void aMetricWordWithoutItsSpaceGetsTheSpacedMetricSuggested() {
        Result r = run("patch", "--clean", "When the man came home, he said that", "--corrupt", "When the woman came home, she said that",
                "--metric", "logit_diff:he,she");
        refused(r, "with its leading space \" she\" is one token: --metric \"logit_diff: he, she\"");
    }

    @Test
    void runOnAnEncoderSaysItIsOne() {
        refused(run("run", "--model", "minilm", "--prompt", "hello"), "minilm is an encoder (BERT)");
    }

    @Test
    void aMistypedCommandNamesTheNearestOne() {
        Result r = run("rnu", "--prompt", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Did you mean: actlab run?"), r.err());
        r = run("steer", "extrat");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Did you mean: actlab steer extract?"), r.err());
        r = run("tokenise", "--text", "x");
        assertTrue(r.err().contains("Did you mean: actlab tokenize?"), r.err());
        assertTrue(CommandSuggestions.nearest("zzzzzz", java.util.List.of("run", "ppl")).isEmpty());
    }
}
