package dev.actlab.sparsity;

import dev.actlab.io.Progress;
import dev.actlab.model.eval.Perplexity;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Perplexity on an evaluation text, dense and at each sparsity level (thresholds calibrated on
 * another text), with the measured sparsity of every level: what the sparsity costs in quality.
 */
public final class SparsityQuality {
    public record Level(double target, double perplexity, double meanSiteSparsity, double weightSparsity) {}

    public record Result(int evalTokens, int ctx, double densePerplexity, List<Level> levels) {
        public Map<String, Object> toJson() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("eval_tokens", evalTokens);
            j.put("ctx", ctx);
            j.put("dense_perplexity", densePerplexity);
            List<Map<String, Object>> l = new ArrayList<>();
            for (Level v : levels) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("target_sparsity", v.target);
                m.put("perplexity", v.perplexity);
                m.put("ppl_change", v.perplexity / densePerplexity - 1);
                m.put("measured_mean_site_sparsity", v.meanSiteSparsity);
                m.put("measured_weight_sparsity", v.weightSparsity);
                l.add(m);
            }
            j.put("levels", l);
            return j;
        }
    }

    private SparsityQuality() {}

    public static Result run(LlamaModel m, String method, CalibrationText calib, int[] eval, int ctx, double[] levels, Progress progress) throws IOException {
        return run(m, method, "uniform", calib, eval, ctx, levels, progress);
    }

    public static Result run(LlamaModel m, String method, String allocation, CalibrationText calib, int[] eval, int ctx, double[] levels, Progress progress) throws IOException {
        int window = Math.min(ctx, m.config().contextLength());
        double dense = Perplexity.run(m, eval, window, Hooks.none(), null, null, Progress.NONE).perplexity();
        List<Level> out = new ArrayList<>();
        for (int i = 0; i < levels.length; i++) {
            Thresholds th = SparsitySpec.calibrate(method, allocation, m, calib, levels[i], Progress.NONE);
            SparseModel s = SparseModel.of(m, th, false);
            double ppl = Perplexity.run(s.model(), eval, window, Hooks.none(), null, null, Progress.NONE).perplexity();
            out.add(new Level(levels[i], ppl, s.meanMeasured(), s.weightSparsity()));
            progress.update(i + 1, levels.length);
        }
        return new Result(eval.length, window, dense, out);
    }

    /** Evaluation tokens drawn at random for a model without a tokenizer (and no --eval file). */
    public static final int RANDOM_EVAL_TOKENS = 1024;

    /** The evaluation tokens: the built-in evaluation text for a model with a tokenizer, else seeded random ids. */
    public static int[] evalTokens(LlamaModel m, java.nio.file.Path file, int maxTokens) throws IOException {
        if (file == null && m.tokenizer() != null) {
            int[] t = m.tokenizer().encode(CalibrationText.resource(CalibrationText.EVALUATION), true);
            return t.length > maxTokens ? java.util.Arrays.copyOf(t, maxTokens) : t;
        }
        if (file == null) {
            java.util.SplittableRandom r = new java.util.SplittableRandom(2);
            int[] t = new int[Math.min(maxTokens, RANDOM_EVAL_TOKENS)];
            for (int i = 0; i < t.length; i++) t[i] = r.nextInt(m.config().vocabSize());
            return t;
        }
        return CalibrationText.of(m, file, maxTokens).tokens();
    }
}
