package dev.actlab.sparsity;

import dev.actlab.model.llama.LlamaModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The tokens thresholds are calibrated on: a text file (--calib), else a built-in English text for a
 * model with a tokenizer, else (a model without one: llama2.c checkpoints, random weights) seeded
 * random token ids. {@link #source} says which, for the thresholds file.
 */
public record CalibrationText(int[] tokens, String source) {
    /** Built-in calibration text (English prose, not the demo's evaluation text). */
    public static final String BUILT_IN = "calibration.txt";
    /** Built-in evaluation text, disjoint from the calibration text. */
    public static final String EVALUATION = "evaluation.txt";

    public static CalibrationText of(LlamaModel m, Path file, int maxTokens) throws IOException {
        if (maxTokens < 2) throw new IllegalArgumentException("calibration tokens must be >= 2, got " + maxTokens);
        int[] t;
        String source;
        if (file != null) {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            if (m.tokenizer() == null) {
                t = ids(text, file.toString());
                source = file + " (token ids)";
            } else {
                t = m.tokenizer().encode(text, true);
                source = file.toString();
            }
        } else if (m.tokenizer() != null) {
            t = m.tokenizer().encode(resource(BUILT_IN), true);
            source = "built-in " + BUILT_IN;
        } else {
            SplittableRandom r = new SplittableRandom(1);
            t = new int[maxTokens];
            for (int i = 0; i < t.length; i++) t[i] = r.nextInt(m.config().vocabSize());
            source = "random token ids (seed 1; the model has no tokenizer)";
        }
        if (t.length < 2) throw new IllegalArgumentException("calibration text " + source + " has " + t.length + " tokens, needs at least 2");
        if (t.length > maxTokens) t = Arrays.copyOf(t, maxTokens);
        return new CalibrationText(t, source);
    }

    /** A built-in text of this package (calibration.txt or evaluation.txt). */
    public static String resource(String name) {
        try (InputStream in = CalibrationText.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("built-in text " + name + " is missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int[] ids(String text, String file) {
        String[] parts = text.trim().split("\\s+");
        int[] t = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try { t[i] = Integer.parseInt(parts[i]); }
            catch (NumberFormatException e) {
                throw new IllegalArgumentException(file + ": word " + (i + 1) + " \"" + parts[i] + "\" is not a token id (the model has no tokenizer: give whitespace-separated ids)");
            }
        }
        return t;
    }
}
