package dev.actlab.io;

import java.nio.file.Files;
import java.nio.file.Path;

/** Test helper run in a child JVM: starts an atomic write, says "ready", then waits to be interrupted. */
public final class SlowAtomicWrite {
    public static void main(String[] args) throws Exception {
        AtomicFile.write(Path.of(args[0]), tmp -> {
            Files.write(tmp, new byte[1 << 20]);
            System.out.println("ready " + tmp);
            System.out.flush();
            try { Thread.sleep(120_000); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        });
    }
}
