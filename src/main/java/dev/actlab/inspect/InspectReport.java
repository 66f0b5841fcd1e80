package dev.actlab.inspect;

import java.util.List;

/** Everything one inspection found; written as report.json and rendered as report.html. */
public record InspectReport(
        Model model,
        Input input,
        InspectOptions options,
        double seconds,
        List<SiteStats.Report> sites,
        MassiveActivations.Result massiveActivations,
        OutlierChannels.Result outlierChannels,
        AttentionSinks.Result attentionSinks,
        Sparsity.Result sparsity,
        LogitLens.Result logitLens,   // null when the model has no unembedding to lens with (encoders)
        TokenActivations.View tokenView,   // the input text with per-token quantities; null in reports written before it existed
        List<String> notes) {

    public record Model(String source, String architecture, int layers, int dModel, boolean tokenizer) {}

    /** The input: token ids, their text when a tokenizer exists, and the chunks they ran in. */
    public record Input(int tokens, int ctx, int chunks, int[] tokenIds, List<String> tokenText) {}

    /** The statistics of one site, or null. */
    public SiteStats.Report site(String name) {
        for (SiteStats.Report r : sites) if (r.site().equals(name)) return r;
        return null;
    }
}
