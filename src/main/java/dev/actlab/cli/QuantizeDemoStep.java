package dev.actlab.cli;

import dev.actlab.model.load.ModelRef;

import dev.actlab.io.ProgressBar;
import dev.actlab.model.eval.PairedPerplexity;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.quant.Calibration;
import dev.actlab.quant.QuantizeRun;
import dev.actlab.quant.Recipe;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Post-training W4A4 on actlab's own decoder: round to nearest against QuaRot's rotation plus
 * GPTQ, perplexity and KL divergence from FP32 on held-out Brown text (a short evaluation; the
 * README has the whole split and every method).
 */
final class QuantizeDemoStep implements DemoStep {
    static final List<String> RECIPES = List.of("rtn(w4,a4)", "hadamard+gptq(w4,a4)");
    static final int CTX = 256, CALIB_WINDOWS = 32, EVAL_WINDOWS = 16;

    @Override public String name() { return "quantize"; }
    @Override public String title() { return "post-training W4A4 of actlab's decoder: round to nearest vs Hadamard rotation + GPTQ"; }

    @Override public Map<String, Object> run(DemoContext ctx) throws Exception {
        LlamaModel m = ModelRef.decoder((String) null);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", m.source());
        int[] calib, eval;
        try {
            calib = QuantTexts.tokens(m, QuantTexts.BROWN, null, false, null);
            eval = QuantTexts.tokens(m, QuantTexts.BROWN, null, true, null);
        } catch (IOException e) {
            ctx.out.println("  skipped: the Brown corpus is not available (" + e.getMessage() + ")");
            out.put("skipped", e.getMessage());
            return out;
        }
        int bos = m.tokenizer().bosId();
        Calibration c = Calibration.of(calib, bos, CTX, CALIB_WINDOWS);
        int[][] windows = PairedPerplexity.windows(eval, bos, CTX, EVAL_WINDOWS);
        List<Recipe> recipes = new ArrayList<>();
        for (String r : RECIPES) recipes.add(Recipe.parse(r));
        List<QuantizeRun.Result> res = QuantizeRun.run(m, recipes, c, windows, label -> new ProgressBar("  " + label, "units"));
        long scored = res.get(0).stats().scoredTokens();
        ctx.out.printf("  held-out Brown text: %d tokens in %d windows of %d (BOS first); calibration: %d windows of the training split%n",
                scored, windows.length, CTX, CALIB_WINDOWS);
        ctx.out.printf("  %-24s %10s %8s %10s %9s%n", "W4A4 recipe", "perplexity", "ratio", "mean KLD", "same top");
        ctx.out.printf("  %-24s %10.2f %8s %10s %9s%n", "FP32", res.get(0).stats().basePerplexity(), "1.000x", "-", "-");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (QuantizeRun.Result r : res) {
            var s = r.stats();
            ctx.out.printf("  %-24s %10.2f %7.3fx %10.5f %8.1f%%%n", r.recipe(), s.perplexity(), s.perplexity() / s.basePerplexity(), s.meanKld(), 100 * s.sameTop());
            rows.add(r.toJson());
        }
        out.put("eval_windows", windows.length);
        out.put("ctx", CTX);
        out.put("calibration_windows", CALIB_WINDOWS);
        out.put("base_perplexity", res.get(0).stats().basePerplexity());
        out.put("results", rows);
        return out;
    }
}
