package dev.actlab.cli;

import dev.actlab.tensor.Parallel;
import picocli.CommandLine.Option;

/** --threads, shared by every command that computes: the worker threads of the shared pool. */
final class ThreadsOption {
    @Option(names = "--threads", description = "Worker threads (default: all cores).") Integer threads;

    /** Sizes the shared pool when --threads is given; call before a model is loaded. */
    void apply() { if (threads != null) Parallel.setDefaultThreads(threads); }

    /** --threads, or every core. */
    int count() { return threads == null ? Runtime.getRuntime().availableProcessors() : threads; }
}
