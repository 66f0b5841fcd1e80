package dev.actlab.io;

import java.io.PrintWriter;

/** done/total, rate and time left on one stderr line, redrawn at most a few times a second. */
public final class ProgressBar implements Progress {
    private final String label, unit;
    private final PrintWriter err;
    private final long startNanos = System.nanoTime();
    private long lastDraw;

    public ProgressBar(String label, String unit) { this(label, unit, new PrintWriter(System.err, true)); }

    /** Draws on err (a command's own error stream, so that tests and embedders see it). */
    public ProgressBar(String label, String unit, PrintWriter err) { this.label = label; this.unit = unit; this.err = err; }

    @Override
    public void update(long done, long total) {
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 200_000_000L) return;
        lastDraw = now;
        double secs = (now - startNanos) / 1e9;
        double rate = secs > 0 ? done / secs : 0;
        double left = rate > 0 ? (total - done) / rate : 0;
        err.printf("\r%s %d/%d %s (%.0f%%), %.1f %s/s, %s   ", label, done, total, unit,
                total > 0 ? 100.0 * done / total : 100.0, rate, unit, timeLeft(done, total, secs, left));
        if (done >= total) err.println();
        err.flush();
    }

    /**
     * The first seconds of a job (warm-up, JIT, the first window) say little about the rest: no estimate
     * until at least a second has passed and 2% is done (or 10 s have passed), nor when nothing is done yet.
     */
    static String timeLeft(long done, long total, double secs, double left) {
        if (done >= total) return clock(0) + " left";
        boolean enough = done > 0 && secs >= 1 && (total <= 0 || done >= 0.02 * total || secs >= 10);
        return enough ? clock(left) + " left" : "estimating time left";
    }

    private static String clock(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String.format("%d:%02d", t / 60, t % 60);
    }
}
