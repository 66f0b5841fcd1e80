package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.actlab.model.gguf.Stories260KWithVocabulary;
import dev.actlab.tensor.DType;
import dev.actlab.testutil.Shared;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import picocli.CommandLine;

/**
 * The llama.cpp outputs in src/test/resources/llamacpp (made by src/test/llamacpp/make_llamacpp_eval_fixtures.sh)
 * and the models they were made on, rebuilt here from stories260K and checked to be the same bytes.
 */
final class LlamaCppFixtures {
    static final Path DIR = Path.of("src/test/resources/llamacpp");
    static final int CTX = 64;

    private LlamaCppFixtures() {}

    /** stories260K with the synthetic vocabulary, as F32 or "Q4_0-as-F32", in dir; its sha256 must be the fixture's. */
    static Path model(Path dir, String kind) throws Exception {
        Path out = dir.resolve("stories260K-" + kind + ".gguf");
        if (kind.endsWith("-as-F32")) Stories260KWithVocabulary.writeRoundTrip(Shared.stories260K(), DType.valueOf(kind.replace("-as-F32", "")), out);
        else Stories260KWithVocabulary.write(Shared.stories260K(), DType.valueOf(kind), out);
        String want = null;
        for (String line : Files.readAllLines(DIR.resolve("models.sha256")))
            if (line.endsWith(" " + out.getFileName())) want = line.substring(0, 64);
        String got = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(out)));
        assertEquals(want, got, out.getFileName() + " is not the file llama.cpp ran: the fixtures must be made again "
                + "(src/test/llamacpp/make_llamacpp_eval_fixtures.sh)");
        return out;
    }

    /** Runs actlab's CLI; returns stdout, failing with stderr on a non-zero exit. */
    static String run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        assertEquals(0, code, String.join(" ", args) + ": " + err);
        return out.toString();
    }
}
