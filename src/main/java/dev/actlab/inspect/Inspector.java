package dev.actlab.inspect;

import dev.actlab.model.hook.HookSite;


import dev.actlab.io.Progress;

import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.hook.ActivationCache;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.hook.FiniteCheck;
import dev.actlab.model.hook.HookedDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Runs a model over a token sequence, in chunks of its context, with read-only hooks that gather
 * the statistics and findings of an {@link InspectReport}. The forward pass is the model's own:
 * inspect only listens.
 */
public final class Inspector {

    /**
     * Sites whose values get statistics: every [pos, ..., channels] tensor of the forward pass.
     * Left out: attention scores and patterns (their last dimension is a key position, not a
     * channel), the rotated q/k (the same channels as hook_q/hook_k, rotated) and the norms' [pos, 1] scales.
     */
    public static final Predicate<String> STATS_SITES = name ->
            !name.endsWith("hook_attn_scores") && !name.endsWith("hook_pattern") && !name.endsWith("hook_scale")
                    && !name.endsWith("hook_rot_q") && !name.endsWith("hook_rot_k");

    private Inspector() {}

    public static InspectReport inspect(HookedModel model, int[] tokens, InspectOptions o, Progress progress) {
        return inspect(model, tokens, o, null, progress);
    }

    /**
     * @param interventions adds hooks that run before the inspection's own at every site (e.g. a
     *                      replacement to study its effect); null for none
     */
    public static InspectReport inspect(HookedModel model, int[] tokens, InspectOptions o, Consumer<Hooks> interventions, Progress progress) {
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens to inspect");
        long t0 = System.nanoTime();
        int ctx = o.ctx() > 0 ? o.ctx() : model.contextLength();
        TokenText text = new TokenText(model.tokenizer());
        StatsCollector stats = new StatsCollector(o.eps(), o.compression());
        MassiveActivations massive = new MassiveActivations(o.massiveAbs(), o.massiveRatio(), o.maxMassiveListed(), text);
        OutlierChannels outliers = new OutlierChannels(model.layers(), o.outlierThreshold(), o.outlierLayerFraction(), o.outlierTokenFraction());
        AttentionSinks sinks = new AttentionSinks(model.layers());
        TokenActivations perToken = new TokenActivations(model.layers(), o.attentionFrom());
        HookedDecoder lensModel = model instanceof HookedDecoder d ? d : null;
        List<String> notes = new ArrayList<>();

        int chunks = (tokens.length + ctx - 1) / ctx;
        LogitLens.Result lens = null;
        for (int c = 0; c < chunks; c++) {
            int start = c * ctx, end = Math.min(tokens.length, start + ctx);
            int[] chunk = Arrays.copyOfRange(tokens, start, end);
            boolean last = c == chunks - 1;
            Hooks hooks = new Hooks();
            if (interventions != null) interventions.accept(hooks);
            hooks.add(s -> true, new FiniteCheck(model.source()));   // a NaN in a report is a wrong answer: stop where it first appears
            hooks.add(STATS_SITES, stats).add(MassiveActivations::listensTo, massive)
                    .add(OutlierChannels::listensTo, outliers).add(AttentionSinks::listensTo, sinks);
            if (c == 0) hooks.add(TokenActivations::listensTo, perToken);
            ActivationCache lensCache = null;
            if (last && lensModel != null && o.lensPositions() > 0) {
                lensCache = new ActivationCache();
                hooks.add(name -> HookSite.layerOf(name) >= 0 && HookSite.suffixOf(name).equals("hook_resid_post"), lensCache);
            }
            massive.beginChunk(chunk, start);
            model.run(chunk, hooks);
            if (lensCache != null) lens = LogitLens.compute(lensModel, lensCache, chunk, start, -1, o.lensPositions(), o.lensTopK(), text);
            if (progress != null) progress.update(end, tokens.length);
        }
        if (lensModel == null) notes.add("logit lens: not available for " + model.architecture() + " (it needs a decoder's final norm and unembedding)");
        if (chunks > 1) notes.add("the input ran in " + chunks + " chunks of up to " + ctx + " tokens, each from position 0");

        List<SiteStats> siteStats = stats.sites();
        List<SiteStats.Report> siteReports = new ArrayList<>();
        for (SiteStats s : siteStats)
            siteReports.add(s.report(o.channelTables() || HookSite.suffixOf(s.name()).equals("hook_resid_post")));

        List<String> pieces = null;
        if (model.tokenizer() != null) {
            pieces = new ArrayList<>();
            for (int t : tokens) pieces.add(text.piece(t));
        }
        var m = new InspectReport.Model(model.source(), model.architecture(), model.layers(), model.dModel(), model.tokenizer() != null);
        var in = new InspectReport.Input(tokens.length, ctx, chunks, tokens.clone(), pieces);
        MassiveActivations.Result massiveResult = massive.result();
        MassiveActivations.Finding largest = null;
        for (var f : massiveResult.findings()) if (largest == null || Math.abs(f.value()) > Math.abs(largest.value())) largest = f;
        TokenActivations.View view = perToken.view(text.inText(tokens), tokens, largest, lensModel);
        return new InspectReport(m, in, o.withCtx(ctx), (System.nanoTime() - t0) / 1e9, siteReports, massiveResult,
                outliers.result(), sinks.result(), Sparsity.of(siteStats, o.eps()), lens, view, notes);
    }
}
