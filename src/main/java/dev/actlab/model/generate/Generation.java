package dev.actlab.model.generate;

/** The outcome of one generation: ids, text (null without a tokenizer) and timings. */
public record Generation(int[] promptTokens, int[] generatedTokens, String text,
                         double prefillSeconds, double decodeSeconds, String stopReason) {
    public double prefillTokensPerSecond() { return prefillSeconds > 0 ? promptTokens.length / prefillSeconds : 0; }

    /** Decode steps per second: the first generated token comes from the prefill, so n tokens took n - 1 steps (0 when none ran). */
    public double decodeTokensPerSecond() { return decodeSeconds > 0 && generatedTokens.length > 1 ? (generatedTokens.length - 1) / decodeSeconds : 0; }
}
