package dev.actlab.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * DIR/dynamics.jsonl, massive-activation dynamics during training: the residual stream of the
 * weights at step 0 and at every checkpoint, measured on a fixed held-out probe
 * ({@link DynamicsProbe}), one line per step (`actlab inspect --checkpoints DIR` plots it).
 */
final class DynamicsLog {
    private static final ObjectMapper LINE = new ObjectMapper();
    private final DynamicsProbe probe;
    private final Path file;
    private long lastStep = -1;

    /** probe null: record nothing. */
    DynamicsLog(DynamicsProbe probe, Path file) { this.probe = probe; this.file = file; }

    /** Appends the line of the trainer's current step, unless that step has one already. */
    void record(Trainer t) throws IOException {
        if (probe == null || lastStep == t.stepsDone()) return;
        lastStep = t.stepsDone();
        DynamicsProbe.Point p = probe.measure(t.model().toLlamaModel("step " + t.stepsDone()), t.stepsDone(),
                t.stepsDone() * t.settings().tokensPerStep());
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            w.write(LINE.writeValueAsString(p));
            w.newLine();
        }
    }
}
