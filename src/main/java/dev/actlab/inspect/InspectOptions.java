package dev.actlab.inspect;

/**
 * Parameters of an inspection; {@link #defaults()} are the thresholds of the papers the rules come from.
 *
 * @param ctx                  tokens per forward call (chunk); 0 = the model's context length
 * @param eps                  |x| < eps counts as near zero
 * @param compression          t-digest compression (accuracy vs memory of the quantiles)
 * @param massiveAbs           massive activation: |x| above this ...
 * @param massiveRatio         ... and above this multiple of the median |x| of its hidden state
 * @param maxMassiveListed     findings listed individually (all are counted)
 * @param outlierThreshold     LLM.int8() outlier magnitude
 * @param outlierLayerFraction fraction of layers a channel must be affected in
 * @param outlierTokenFraction fraction of tokens that make a channel affected in a layer
 * @param lensPositions        logit lens: the last this many positions of the last chunk
 * @param lensTopK             logit lens: predictions listed per layer and position
 * @param channelTables        write per-channel statistics of every site to the JSON report
 * @param attentionFrom        report.html colours the text by the last layer's attention from this query position
 *                             (0-based, within the first chunk and the shown tokens); -1 = the last shown position
 */
public record InspectOptions(int ctx, float eps, double compression, float massiveAbs, float massiveRatio, int maxMassiveListed,
                             float outlierThreshold, double outlierLayerFraction, double outlierTokenFraction,
                             int lensPositions, int lensTopK, boolean channelTables, int attentionFrom) {
    public InspectOptions {
        if (attentionFrom < -1) throw new IllegalArgumentException("attention-from must be a position >= 0 (or -1 for the last), got " + attentionFrom);
        if (ctx < 0) throw new IllegalArgumentException("ctx must be >= 0, got " + ctx);
        if (!(eps >= 0)) throw new IllegalArgumentException("eps must be >= 0, got " + eps);
        if (!(compression >= 10)) throw new IllegalArgumentException("t-digest compression must be >= 10, got " + compression);
        if (lensPositions < 0 || lensTopK < 1) throw new IllegalArgumentException("logit lens needs positions >= 0 and top-k >= 1");
    }

    /** With the attention strip from the last shown position. */
    public InspectOptions(int ctx, float eps, double compression, float massiveAbs, float massiveRatio, int maxMassiveListed,
                          float outlierThreshold, double outlierLayerFraction, double outlierTokenFraction,
                          int lensPositions, int lensTopK, boolean channelTables) {
        this(ctx, eps, compression, massiveAbs, massiveRatio, maxMassiveListed, outlierThreshold, outlierLayerFraction,
                outlierTokenFraction, lensPositions, lensTopK, channelTables, -1);
    }

    public static InspectOptions defaults() {
        return new InspectOptions(0, 1e-3f, 100, 100f, 1000f, 1000, 6f, 0.25, 0.06, 8, 5, true);
    }

    public InspectOptions withCtx(int c) {
        return new InspectOptions(c, eps, compression, massiveAbs, massiveRatio, maxMassiveListed, outlierThreshold,
                outlierLayerFraction, outlierTokenFraction, lensPositions, lensTopK, channelTables, attentionFrom);
    }
}
