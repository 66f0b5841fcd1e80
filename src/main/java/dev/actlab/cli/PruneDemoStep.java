package dev.actlab.cli;

import dev.actlab.io.AtomicFile;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.eval.PairedPerplexity;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import dev.actlab.prune.PruneSweep;
import dev.actlab.prune.PruneSweepReport;
import dev.actlab.prune.PruningMethod;
import dev.actlab.prune.PruningPattern;
import dev.actlab.quant.Calibration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Weight pruning of actlab's own decoder at 50% unstructured: magnitude against Wanda and SparseGPT,
 * perplexity and KL divergence from the dense model on held-out Brown text (a short calibration and
 * evaluation to stay near 20 s; the README has 2:4 and more windows), and the chart DIR/prune-decoder/sweep.html.
 */
final class PruneDemoStep implements DemoStep {
    static final int CTX = 256, CALIB_WINDOWS = 8, EVAL_WINDOWS = 12;

    @Override public String name() { return "prune"; }
    @Override public String title() { return "weight pruning of actlab's decoder at 50%: magnitude vs Wanda vs SparseGPT"; }

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
        List<PruningMethod> methods = List.of(PruningMethod.MAGNITUDE, PruningMethod.WANDA, PruningMethod.SPARSEGPT);
        List<PruningPattern> patterns = List.of(PruningPattern.unstructured(0.5));
        PruneSweep.Table t = PruneSweep.run(m, methods, patterns, c, windows, label -> new ProgressBar("  " + label, "units"));
        ctx.out.printf("  held-out Brown text: %d tokens in %d windows of %d (BOS first); calibration: %d windows of the training split%n",
                t.cells()[0][0].stats().scoredTokens(), windows.length, CTX, CALIB_WINDOWS);
        ctx.out.printf("  %-12s %10s %8s %10s %9s%n", "50% of rows", "perplexity", "ratio", "mean KLD", "same top");
        ctx.out.printf("  %-12s %10.2f %8s %10s %9s%n", "dense", t.basePerplexity(), "1.000x", "-", "-");
        for (int i = 0; i < methods.size(); i++) {
            var u = t.cells()[i][0].stats();
            ctx.out.printf("  %-12s %10.2f %7.3fx %10.4f %8.1f%%%n", methods.get(i).label(), u.perplexity(), u.perplexity() / u.basePerplexity(), u.meanKld(), 100 * u.sameTop());
        }
        Path dir = ctx.outDir.resolve("prune-decoder");
        Files.createDirectories(dir);
        String protocol = String.format("held-out Brown, %d windows of %d tokens; calibration %d windows", windows.length, CTX, CALIB_WINDOWS);
        AtomicFile.writeString(dir.resolve("sweep.html"), PruneSweepReport.html(t, m.source(), protocol));
        ctx.out.println("  chart: " + dir.resolve("sweep.html"));
        out.put("report", dir.resolve("sweep.html").toString());
        out.putAll(t.toJson());
        return out;
    }
}
