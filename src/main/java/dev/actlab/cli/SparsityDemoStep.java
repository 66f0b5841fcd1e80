package dev.actlab.cli;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import dev.actlab.sparsity.CalibrationText;
import dev.actlab.sparsity.SparseDecodeBench;
import dev.actlab.sparsity.SparseModel;
import dev.actlab.sparsity.SparsityQuality;
import dev.actlab.sparsity.SparsitySpec;
import dev.actlab.sparsity.Thresholds;
import java.util.LinkedHashMap;
import java.util.Map;

/** TEAL at 50% on actlab's own decoder: what it costs in perplexity, what it gains in decode speed. */
final class SparsityDemoStep implements DemoStep {
    static final double SPARSITY = 0.5;

    @Override public String name() { return "sparsity"; }
    @Override public String title() { return "activation sparsity: TEAL at 50% on actlab's own decoder, perplexity and decode speed"; }

    @Override public Map<String, Object> run(DemoContext ctx) throws Exception {
        LlamaModel m = ModelRef.decoder(null);
        CalibrationText calib = CalibrationText.of(m, null, 2048);
        int[] eval = SparsityQuality.evalTokens(m, null, 1 << 16);
        SparsityQuality.Result q = SparsityQuality.run(m, "teal", calib, eval, m.config().contextLength(), new double[]{SPARSITY}, Progress.NONE);
        SparsityQuality.Level l = q.levels().getFirst();
        Thresholds th = SparsitySpec.calibrate("teal", m, calib, SPARSITY, Progress.NONE);
        SparseDecodeBench.Result b = SparseDecodeBench.run(m, SparseModel.of(m, th, true), 32, 128, 5, 1);
        ctx.out.printf("  perplexity on %d held-out tokens: dense %.3f, 50%% TEAL %.3f (%+.2f%%); measured %.3f of block inputs skipped%n",
                q.evalTokens(), q.densePerplexity(), l.perplexity(), 100 * (l.perplexity() / q.densePerplexity() - 1), l.meanSiteSparsity());
        ctx.out.printf("  decode (5 rounds alternating, median): dense %.0f tok/s, sparse %.0f tok/s: %.2fx (memory-traffic limit %.2fx)%n",
                b.medianDense(), b.medianSparse(), b.speedupMedian(), b.trafficLimit());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", m.source());
        out.put("target_sparsity", SPARSITY);
        out.put("calibration", calib.source());
        out.put("dense_perplexity", DemoStep.round(q.densePerplexity()));
        out.put("sparse_perplexity", DemoStep.round(l.perplexity()));
        out.put("measured_mean_site_sparsity", DemoStep.round(l.meanSiteSparsity()));
        out.put("dense_decode_tokens_per_second", DemoStep.round(b.medianDense()));
        out.put("sparse_decode_tokens_per_second", DemoStep.round(b.medianSparse()));
        out.put("speedup", DemoStep.round(b.speedupMedian()));
        out.put("speedup_limit", DemoStep.round(b.trafficLimit()));
        return out;
    }
}
