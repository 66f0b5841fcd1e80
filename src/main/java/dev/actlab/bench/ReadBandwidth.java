package dev.actlab.bench;

import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.ReadProbe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The machine's read bandwidth as this JVM sees it: a large off-heap buffer (far bigger than
 * the caches) summed with the Vector API by the threads of a {@link Parallel}, the same way the
 * decode kernels stream weights. The figure that decode GB/s is compared against.
 */
public final class ReadBandwidth implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    private final int blocks;
    private static final int BLOCK_BYTES = 1 << 20;
    private volatile float sink;

    public ReadBandwidth(long bytes) {
        if (bytes < BLOCK_BYTES || bytes > (1L << 36)) throw new IllegalArgumentException("probe buffer of " + bytes + " bytes is outside [1 MiB, 64 GiB]");
        this.blocks = (int) (bytes / BLOCK_BYTES);
        this.buffer = arena.allocate((long) blocks * BLOCK_BYTES, 4096);
        // touch every page before measuring; bytes 0x3F make every float 0.747 (no denormals to slow the adds)
        buffer.fill((byte) 0x3F);
    }

    public long bytes() { return (long) blocks * BLOCK_BYTES; }

    /** Best of {@code passes} full reads, in GB/s (1e9 bytes per second). */
    public double measure(Parallel par, int passes) {
        double best = 0;
        float[] partial = new float[blocks];
        for (int p = 0; p < passes; p++) {
            long t0 = System.nanoTime();
            par.forRange(blocks, 1, (from, to) -> {
                for (int b = from; b < to; b++) partial[b] = ReadProbe.sum(buffer, (long) b * BLOCK_BYTES, BLOCK_BYTES);
            });
            long t1 = System.nanoTime();
            float s = 0;
            for (float v : partial) s += v;
            sink = s;
            best = Math.max(best, bytes() / ((t1 - t0) / 1e9) / 1e9);
        }
        return best;
    }

    @Override public void close() { arena.close(); }
}
