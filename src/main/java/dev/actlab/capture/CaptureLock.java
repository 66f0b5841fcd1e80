package dev.actlab.capture;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a capture's output directory ({@code .capture.lock} in it), held while
 * the capture writes: a second capture into the same directory, from this process or another, is
 * refused instead of deleting the first one's temporaries and interleaving shards. The OS drops
 * the lock when the process dies, so a killed capture never leaves the directory locked. The file
 * itself stays (deleting it would let two processes lock two different files of the same name).
 */
final class CaptureLock implements AutoCloseable {
    static final String FILE = ".capture.lock";
    private final FileChannel channel;
    private final FileLock lock;

    private CaptureLock(FileChannel channel, FileLock lock) { this.channel = channel; this.lock = lock; }

    static CaptureLock acquire(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {   // held by this process
            l = null;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        if (l == null) {
            ch.close();
            throw new IllegalArgumentException("another capture is writing into " + dir + " (it holds " + file + "): wait for it to finish or choose another --out");
        }
        return new CaptureLock(ch, l);
    }

    @Override public void close() throws IOException {
        try { lock.release(); } finally { channel.close(); }
    }
}
