package dev.actlab.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
    @TempDir Path dir;

    @Test
    void writesWholeFilesWithTheUsualPermissions() throws Exception {
        Path target = dir.resolve("sub/report.json");
        AtomicFile.writeString(target, "{\"a\": 1}");
        assertEquals("{\"a\": 1}", Files.readString(target));
        AtomicFile.writeString(target, "{\"a\": 2}");
        assertEquals("{\"a\": 2}", Files.readString(target), "replaces an existing file");
        Path plain = Files.createFile(dir.resolve("sub/plain"));
        if (Files.getFileAttributeView(plain, PosixFileAttributeView.class) != null)
            assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(target), "not createTempFile's owner-only rw-------");
        try (var files = Files.list(dir.resolve("sub"))) { assertEquals(2, files.count(), "no temporary file left"); }
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporary() throws Exception {
        Path target = dir.resolve("model.bin");
        AtomicFile.writeBytes(target, new byte[]{1, 2, 3});
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(target, tmp -> {
            Files.write(tmp, new byte[]{9, 9});
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertArrayEquals(new byte[]{1, 2, 3}, Files.readAllBytes(target));
        try (var files = Files.list(dir)) { assertEquals(1, files.count(), "the half-written temporary is gone"); }
    }

    /**
     * Issue 23: commit forces the temporary's bytes before the rename and the directory after it
     * (a power cut can otherwise leave a zero-length "complete" manifest). The fsyncs themselves
     * cannot be observed from here; this checks the sequence runs on a real directory and leaves
     * exactly the target, and that forcing a directory the platform cannot open is harmless.
     */
    @Test
    void commitForcesAndRenames() throws Exception {
        Path target = dir.resolve("manifest.json");
        Path tmp = AtomicFile.temporarySibling(target);
        Files.writeString(tmp, "{\"complete\": true}");
        AtomicFile.commit(tmp, target);
        assertEquals("{\"complete\": true}", Files.readString(target));
        assertFalse(Files.exists(tmp));
        try (var files = Files.list(dir)) { assertEquals(1, files.count()); }
        AtomicFile.forceDirectory(dir.resolve("no-such-dir"));   // no exception
        assertThrows(java.nio.file.NoSuchFileException.class, () -> AtomicFile.commit(dir.resolve("gone.part"), target));
        assertEquals("{\"complete\": true}", Files.readString(target), "a failed commit leaves the old target");
    }

    /** Issue 23: an output path that is a directory is refused before the work, not after it (leaving a full-size .part). */
    @Test
    void aDirectoryTargetIsRefusedBeforeAnyWork() throws Exception {
        Path target = Files.createDirectories(dir.resolve("out"));
        boolean[] ran = {false};
        java.nio.file.FileSystemException e = assertThrows(java.nio.file.FileSystemException.class,
                () -> AtomicFile.write(target, tmp -> ran[0] = true));
        assertEquals(target + ": is a directory: give the path of a file to write", e.getMessage());
        assertFalse(ran[0], "the body never ran");
        try (var files = Files.list(dir)) { assertEquals(1, files.count(), "no temporary"); }
    }

    /**
     * Issue 23: SIGINT during a write (synth left a 1.6 GB .part) deletes the temporary: a child
     * JVM starts an atomic write and is interrupted mid-way.
     */
    @Test
    void anInterruptedWriteLeavesNoTemporary() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/kill")), "skipped: no /bin/kill to send SIGINT");
        Path target = dir.resolve("big.gguf");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), SlowAtomicWrite.class.getName(), target.toString())
                .redirectErrorStream(true).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
            String line = out.readLine();
            assertNotNull(line, "the child wrote nothing");
            assertTrue(line.startsWith("ready "), line);
            Path tmp = Path.of(line.substring(6));
            assertTrue(Files.exists(tmp), "the temporary exists while writing");
            new ProcessBuilder("/bin/kill", "-INT", Long.toString(p.pid())).start().waitFor();
            assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the child exits on SIGINT");
            assertFalse(Files.exists(tmp), "the shutdown hook deleted the temporary");
            assertFalse(Files.exists(target));
        } finally {
            p.destroyForcibly();
        }
    }
}
