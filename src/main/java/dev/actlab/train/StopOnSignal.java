package dev.actlab.train;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ctrl-C (SIGINT/SIGTERM) during a run: the shutdown hook asks the loop to stop after its step
 * and waits (up to two minutes) until the loop has saved its checkpoint and closed this, so the
 * run resumes from where it was stopped.
 */
final class StopOnSignal implements AutoCloseable {
    private final AtomicBoolean requested = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook = new Thread(() -> {
        requested.set(true);
        try { finished.await(2, TimeUnit.MINUTES); } catch (InterruptedException ignored) { }
    });

    StopOnSignal() { Runtime.getRuntime().addShutdownHook(hook); }

    /** True once a signal asked the run to stop. */
    boolean requested() { return requested.get(); }

    @Override public void close() {
        finished.countDown();
        try { Runtime.getRuntime().removeShutdownHook(hook); } catch (IllegalStateException shuttingDown) { }
    }
}
