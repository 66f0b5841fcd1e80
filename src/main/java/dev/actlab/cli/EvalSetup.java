package dev.actlab.cli;

import dev.actlab.model.eval.PairedPerplexity;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.quant.Calibration;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The calibration windows and evaluation windows of a run, and how they were made. */
final class EvalSetup {
    Calibration calibration;
    int[][] windows;
    String calibText, evalText;
    int ctx, evalTokensCount;
    long scored;

    static EvalSetup of(LlamaModel m, String calib, Path calibTokens, String eval, Path evalTokens, int ctx, int calibWindows, int evalWindows,
                    Path cache, boolean needCalibration) throws Exception {
        if (calibWindows < 1) throw new IllegalArgumentException("--calib-windows must be >= 1, got " + calibWindows);
        if (evalWindows < 0) throw new IllegalArgumentException("--eval-windows must be >= 0, got " + evalWindows);
        EvalSetup s = new EvalSetup();
        s.ctx = Math.min(ctx, m.config().contextLength());
        if (s.ctx < 2) throw new IllegalArgumentException("--ctx must be at least 2, got " + ctx);
        int bos = m.tokenizer() == null ? -1 : m.tokenizer().bosId();
        if (needCalibration) {
            s.calibration = Calibration.of(QuantTexts.tokens(m, calib, calibTokens, false, cache), bos, s.ctx, calibWindows);
            s.calibText = QuantTexts.describe(calib, calibTokens, false);
        }
        int[] ev = QuantTexts.tokens(m, eval, evalTokens, true, cache);
        s.evalTokensCount = ev.length;
        s.windows = PairedPerplexity.windows(ev, bos, s.ctx, evalWindows);
        for (int[] w : s.windows) s.scored += w.length - 1;
        s.evalText = QuantTexts.describe(eval, evalTokens, true);
        return s;
    }

    boolean bos(LlamaModel m) { return m.tokenizer() != null && m.tokenizer().bosId() >= 0; }

    /** Model, text, tokens scored, context, BOS handling, calibration. */
    String protocolLine(LlamaModel m) {
        return String.format("protocol: model %s; eval %s: %d tokens scored in %d windows of up to %d tokens (%s, every position scored)%s",
                m.source(), evalText, scored, windows.length, ctx, bos(m) ? "BOS prepended to each window" : "no BOS",
                calibration == null ? "" : String.format("; calibration %s: %d windows of %d tokens", calibText, calibration.windows(), ctx));
    }

    Map<String, Object> protocol(LlamaModel m) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("eval_text", evalText);
        p.put("eval_text_tokens", evalTokensCount);
        p.put("scored_tokens", scored);
        p.put("windows", windows.length);
        p.put("ctx", ctx);
        p.put("bos", bos(m) ? "prepended to each window" : "none");
        p.put("scored_positions", "all");
        if (calibration != null) {
            p.put("calibration_text", calibText);
            p.put("calibration_windows", calibration.windows());
            p.put("calibration_tokens", calibration.tokens());
        }
        return p;
    }
}
