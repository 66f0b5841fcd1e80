package dev.actlab.testutil;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Test inputs from ../shared (models and reference outputs); tests skip with a message when absent. */
public final class Shared {
    private Shared() {}

    public static Path root() {
        String prop = System.getProperty("actlab.shared");
        if (prop != null) return Path.of(prop);
        return Path.of("..", "shared").toAbsolutePath().normalize();
    }

    /** A file under ../shared; skips the test (with the path) when it is not there. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        assumeTrue(Files.isRegularFile(p), "skipped: " + p + " is absent (tests read models from ../shared, see DESIGN.md)");
        return p;
    }

    public static Path stories260K() { return require("models/stories260K/stories260K.bin"); }

    public static int[] tokens(Path file) throws IOException {
        return Arrays.stream(Files.readString(file).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
    }

    public static float[] f32(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }
}
