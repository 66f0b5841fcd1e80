package dev.actlab.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Files written whole or not at all: the bytes go to a temporary sibling, which replaces the
 * target in one atomic move once complete (forced to the disk before and after, see
 * {@link #commit}) and is deleted if writing fails. The sibling is a
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
            commit(tmp, target);
            moved = true;
        } finally {
            if (!moved) discard(tmp);
        }
    }

    /** Temporaries not yet committed or discarded: the shutdown hook deletes them (SIGINT, SIGTERM, System.exit). */
    private static final java.util.Set<Path> PENDING = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path p : PENDING) {
                try { Files.deleteIfExists(p); } catch (IOException | RuntimeException ignored) { /* exiting: best effort */ }
            }
        }, "actlab-temporaries"));
    }

    /** Deletes a temporary that will not be committed (a failed or abandoned write). */
    public static void discard(Path tmp) throws IOException {
        try { Files.deleteIfExists(tmp); } finally { PENDING.remove(tmp); }
    }

    /**
     * Puts a finished temporary file in place durably: its bytes are forced to the disk, it is
     * renamed over target atomically, and the directory is forced so that the rename itself
     * survives a power cut. Without the first fsync a crash can leave a zero-length target that a
     * later run trusts (a manifest saying "complete", a model); without the second, the old file.
     */
    public static void commit(Path tmp, Path target) throws IOException {
        force(tmp);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        PENDING.remove(tmp);
        forceDirectory(target.toAbsolutePath().getParent());
    }

    /** fsync of a file's bytes and metadata. */
    public static void force(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) { ch.force(true); }
    }

    /**
     * fsync of a directory, which makes the names in it (a rename, a new file) durable. Where the
     * platform cannot open a directory (Windows) this does nothing: the rename is atomic still.
     */
    public static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not supported here; nothing more can be done
        }
    }

    public static void writeString(Path target, String text) throws IOException {
        write(target, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
    }

    public static void writeBytes(Path target, byte[] bytes) throws IOException { write(target, tmp -> Files.write(tmp, bytes)); }

    /**
     * A fresh path beside target (its directory created if needed), named ".NAME.PID.N.part":
     * hidden, unique, and recognisable as a leftover after a crash. It is deleted when the JVM
     * exits (SIGINT included) unless {@link #commit}ted or {@link #discard}ed first. A target that
     * is an existing directory is refused here, before any work: the rename at the end would fail.
     */
    public static Path temporarySibling(Path target) throws IOException {
        if (Files.isDirectory(target))
            throw new java.nio.file.FileSystemException(target.toString(), null, "is a directory: give the path of a file to write");
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + target.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".part");
        PENDING.add(tmp);
        return tmp;
    }
}
