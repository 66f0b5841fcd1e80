package dev.actlab.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks an output path before the work starts, so that a long analysis does not end in a bare path:
 * a directory that is a file, a file that is a directory, a parent that is a file, a place that cannot
 * be written. Nothing is created here.
 */
final class OutputPath {
    private OutputPath() {}

    /** An output directory (it may exist, or be created with its parents). */
    static void directory(String flag, Path out) {
        if (out == null) return;
        if (Files.exists(out) && !Files.isDirectory(out))
            throw new IllegalArgumentException(flag + " " + out + ": is a file, not a directory; choose a directory (it is created if missing)");
        writableAncestor(flag, out, Files.isDirectory(out) ? out : out.toAbsolutePath().getParent());
    }

    /** An output file (it may exist and is replaced; its directory is created if missing). */
    static void file(String flag, Path out) {
        if (out == null) return;
        if (Files.isDirectory(out)) throw new IllegalArgumentException(flag + " " + out + ": is a directory, not a file");
        if (Files.exists(out) && !Files.isWritable(out)) throw new IllegalArgumentException(flag + " " + out + ": the file exists and cannot be written (permission denied)");
        writableAncestor(flag, out, out.toAbsolutePath().getParent());
    }

    /** The nearest existing directory at or above dir must be a directory that can be written. */
    private static void writableAncestor(String flag, Path out, Path dir) {
        Path p = dir;
        while (p != null && !Files.exists(p)) p = p.getParent();
        if (p == null) return;
        if (!Files.isDirectory(p)) throw new IllegalArgumentException(flag + " " + out + ": " + p + " is a file, so nothing can be written under it");
        if (!Files.isWritable(p)) throw new IllegalArgumentException(flag + " " + out + ": cannot write into " + p + " (permission denied or read-only)");
    }
}
