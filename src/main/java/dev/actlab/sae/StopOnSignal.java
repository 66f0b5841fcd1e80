package dev.actlab.sae;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ctrl-C (SIGINT/SIGTERM) during SAE training: the shutdown hook asks the loop to stop after its
 * step and waits (up to two minutes) until the checkpoint is saved and this is closed. The same
 * scheme as train's (whose class this room, of the same rank, may not use).
 */
public final class StopOnSignal implements AutoCloseable {
    private final AtomicBoolean requested = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook = new Thread(() -> {
        requested.set(true);
        try { finished.await(2, TimeUnit.MINUTES); } catch (InterruptedException ignored) { }
    });

    public StopOnSignal() { Runtime.getRuntime().addShutdownHook(hook); }

    /** True once a signal asked the run to stop. */
    public boolean requested() { return requested.get(); }

    @Override public void close() {
        finished.countDown();
        try { Runtime.getRuntime().removeShutdownHook(hook); } catch (IllegalStateException shuttingDown) { }
    }
}
