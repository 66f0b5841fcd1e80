package dev.actlab.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Files written whole or not at all: the bytes go to a temporary sibling, which replaces the
 * target in one atomic move once complete and is deleted if writing fails. The sibling is a
 * plain new file, so the result gets the usual permissions (Files.createTempFile would make it
 * owner-only).
 */
public final class AtomicFile {
    /** Writes the temporary file it is given. */
    @FunctionalInterface
    public interface Body { void writeTo(Path temporary) throws IOException; }

    private AtomicFile() {}

    public static void write(Path target, Body body) throws IOException {
        Path tmp = temporarySibling(target);
        boolean moved = false;
        try {
            body.writeTo(tmp);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            moved = true;
        } finally {
            if (!moved) Files.deleteIfExists(tmp);
        }
    }

    public static void writeString(Path target, String text) throws IOException {
        write(target, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
    }

    public static void writeBytes(Path target, byte[] bytes) throws IOException { write(target, tmp -> Files.write(tmp, bytes)); }

    /**
     * A fresh path beside target (its directory created if needed), named ".NAME.PID.N.part":
     * hidden, unique, and recognisable as a leftover after a crash.
     */
    public static Path temporarySibling(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        return dir.resolve("." + target.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".part");
    }
}
