package dev.actlab.io;

/**
 * How a long job reports how far it has come: {@code done} of {@code total} units (windows,
 * tokens, bytes, runs). The one progress interface of every room; a terminal shows it with
 * {@link ProgressBar}. An implementation may throw to stop the job (what an interruption looks like).
 */
@FunctionalInterface
public interface Progress {
    Progress NONE = (done, total) -> {};

    void update(long done, long total);
}
