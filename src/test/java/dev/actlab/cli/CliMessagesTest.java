package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.testutil.Shared;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 23's weak messages: each names the path and says what is wrong, and nothing reaches stdout before an error. */
class CliMessagesTest {
    @TempDir Path dir;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void fileSystemErrorsSayWhatIsWrongWithThePath() {
        assertEquals("/x/out.json: permission denied", Main.describe(new AccessDeniedException("/x/out.json")));
        assertEquals("/x/f: is not a directory", Main.describe(new NotDirectoryException("/x/f")));
        assertEquals("/x/f: Read-only file system", Main.describe(new java.nio.file.FileSystemException("/x/f", null, "Read-only file system")));
    }

    @Test
    void aDirectoryGivenAsTextIsNamedAsSuch() {
        Result r = run("ppl", "--text", dir.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains(dir + ": is a directory, not a text file"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void runWithTokenIdsShowsTheDecodedPromptNotNull() {
        Result r = run("run", "--tokens", "256 464 2120", "--max-tokens", "3", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().startsWith("null"), r.out());
    }

    @Test
    void pplCtxZeroMeansTheModelsContextAndNegativeIsRefused() throws Exception {
        Path text = dir.resolve("t.txt");
        Files.writeString(text, "The jury said that the city was ready for the election. ".repeat(20));
        Result zero = run("ppl", "--text", text.toString(), "--ctx", "0", "--json", "--threads", "1");
        assertEquals(0, zero.code(), zero.err());
        assertTrue(zero.out().contains("\"ctx\" : 256"), zero.out());   // actlab-brown's context
        Result negative = run("ppl", "--text", text.toString(), "--ctx", "-1");
        assertEquals(2, negative.code());
        assertTrue(negative.err().contains("--ctx must be >= 0"), negative.err());
    }

    @Test
    void checkFiniteNamesTheFirstSiteAndNothingReachesStdout() throws Exception {
        byte[] b = Files.readAllBytes(Shared.stories260K());
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putFloat(28 + 4 * (5 * 64 + 3), Float.NaN);   // embedding row of token 5
        Path model = dir.resolve("nan.bin");
        Files.write(model, b);
        Result plain = run("run", "--model", model.toString(), "--tokens", "1 5 9", "--max-tokens", "4");
        assertEquals(2, plain.code());
        assertTrue(plain.err().contains("is not finite"), plain.err());
        Result checked = run("logits", "--model", model.toString(), "--tokens", "1 5 9", "--out", dir.resolve("l.f32").toString(), "--check-finite");
        assertEquals(2, checked.code());
        assertTrue(checked.err().contains("hook_embed at position 1 is not finite"), checked.err());
        assertFalse(Files.exists(dir.resolve("l.f32")));
    }
}
