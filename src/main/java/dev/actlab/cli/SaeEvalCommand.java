package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelRef;
import dev.actlab.sae.Sae;
import dev.actlab.sae.SaeEncoderEval;
import dev.actlab.sae.SaeEval;
import dev.actlab.sae.SaeFile;
import dev.actlab.tensor.Parallel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "eval", mixinStandardHelpOptions = true, description = {"Evaluate an SAE (SAELens or sparsify directory) on a decoder and a text: L0, MSE, FVU, dead and dense latents on the site's activations,",
        "and the next-token loss clean, with the reconstruction spliced in at the site, and with the site zero-ablated: CE loss recovered = (L_zero - L_sae) / (L_zero - L_clean); KL(clean || spliced). BOS positions are left as they are.",
        "On an encoder (--model minilm, BERT) there is no next-token loss: the sentence embedding (mean pooled, normalised) with the reconstruction spliced in and with the site zero-ablated, by cosine to the clean one; embedding recovered = (cos_spliced - cos_zero) / (1 - cos_zero)."})
final class SaeEvalCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;

    @ArgGroup(exclusive = true, multiplicity = "1") SaeCommand.TextSource text;
    @Option(names = "--sae", required = true, description = "SAE directory.") Path sae;
    @Option(names = "--ctx", defaultValue = "128", description = "Tokens per window, BOS included (default ${DEFAULT-VALUE}).") int ctx;
    @Option(names = "--dashboard", description = "Also write a self-contained HTML page of the features' top-activating contexts here.") Path dashboard;
    @Option(names = "--windows", defaultValue = "200", description = "At most this many windows (default ${DEFAULT-VALUE}).") int windows;

    @Override public Integer call() throws Exception {
        threads.apply();
        Sae s = SaeFile.read(sae);
        if (model.model != null && ModelRef.isEncoder(model.model)) return encoder(s);
        LlamaModel m = model.decoder();
        int[] ids = m.tokenizer().encode(text.read(true, (long) windows * ctx), false);
        SaeEval.Result r = SaeEval.evaluate(m, s, ids, ctx, windows, Parallel.shared(), new ProgressBar("sae eval", "windows", spec.commandLine().getErr()));
        if (dashboard != null) dev.actlab.sae.FeatureDashboard.write(dashboard, s, r, m.tokenizer(), ids, 500, m.weights().output(), Parallel.shared());
        Map<String, Object> j = report(s, r, m.source(), text.describe(true));
        PrintWriter w = spec.commandLine().getOut();
        if (json.enabled) w.println(Json.write(j));
        else print(w, s, r);
        return 0;
    }

    /** An encoder has no next-token loss: the sentence embedding's cosine to the clean one instead. */
    private int encoder(Sae s) throws Exception {
        BertModel m = ModelRef.encoder(model.model);
        m.tokenizer().withMaxLength(Integer.MAX_VALUE);   // the text is a stream cut into windows, not one sequence
        int[] ids = m.tokenizer().encode(text.read(true, (long) windows * ctx), false);
        SaeEncoderEval.Result r = SaeEncoderEval.evaluate(m, s, ids, ctx, windows, Parallel.shared(), new ProgressBar("sae eval", "windows", spec.commandLine().getErr()));
        PrintWriter w = spec.commandLine().getOut();
        if (json.enabled) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("model", m.source()); j.put("text", text.describe(true)); j.put("hook_name", s.cfg.hookName());
            j.put("architecture", s.cfg.architecture().cliName()); j.put("d_in", s.dIn()); j.put("d_sae", s.dSae());
            j.put("tokens", r.rows()); j.put("windows", r.windows()); j.put("l0", r.l0()); j.put("mse", r.mse()); j.put("fvu", r.fvu());
            j.put("dead_fraction", r.deadFraction()); j.put("embedding_cos_spliced", r.cosSpliced());
            j.put("embedding_cos_zero_ablated", r.cosZero()); j.put("embedding_recovered", r.embeddingRecovered());
            w.println(Json.write(j));
        } else {
            w.printf(Locale.ROOT, "%s %s, d_in %d, d_sae %d on %d tokens (%d windows)%n", s.cfg.hookName(), s.cfg.architecture().cliName(), s.dIn(), s.dSae(), r.rows(), r.windows());
            w.printf(Locale.ROOT, "L0 %.2f   MSE %.5g   FVU %.4f   dead %.3f%n", r.l0(), r.mse(), r.fvu(), r.deadFraction());
            w.printf(Locale.ROOT, "sentence embedding cosine to clean: spliced %.4f   zero-ablated %.4f   recovered %.4f%n", r.cosSpliced(), r.cosZero(), r.embeddingRecovered());
        }
        return 0;
    }

    static void print(PrintWriter w, Sae s, SaeEval.Result r) {
        w.printf(Locale.ROOT, "%s %s, d_in %d, d_sae %d on %d tokens (%d windows)%n", s.cfg.hookName(), s.cfg.architecture().cliName(), s.dIn(), s.dSae(), r.rows(), r.windows());
        w.printf(Locale.ROOT, "L0 %.2f   MSE %.5g   FVU %.4f (explained variance %.4f)   dead %.3f   dense (>10%% of tokens) %.3f%n",
                r.l0(), r.mse(), r.fvu(), r.explainedVariance(), r.deadFraction(), r.denseFraction());
        w.printf(Locale.ROOT, "CE loss: clean %.4f   spliced %.4f   zero-ablated %.4f   recovered %.4f   KL(clean||spliced) %.4f%n",
                r.ceClean(), r.ceSpliced(), r.ceZero(), r.ceRecovered(), r.klSpliced());
        w.printf(Locale.ROOT, "         mean-ablated %.4f   recovered (vs mean-ablation) %.4f%n", r.ceMean(), r.ceRecoveredMean());
    }

    static Map<String, Object> report(Sae s, SaeEval.Result r, String model, String text) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", model);
        j.put("text", text);
        j.put("hook_name", s.cfg.hookName());
        j.put("architecture", s.cfg.architecture().cliName());
        j.put("d_in", s.dIn());
        j.put("d_sae", s.dSae());
        j.put("tokens", r.rows());
        j.put("windows", r.windows());
        j.put("l0", r.l0());
        j.put("mse", r.mse());
        j.put("fvu", r.fvu());
        j.put("explained_variance", r.explainedVariance());
        j.put("dead_fraction", r.deadFraction());
        j.put("dense_fraction", r.denseFraction());
        j.put("ce_loss_clean", r.ceClean());
        j.put("ce_loss_spliced", r.ceSpliced());
        j.put("ce_loss_zero_ablated", r.ceZero());
        j.put("ce_loss_recovered", r.ceRecovered());
        j.put("ce_loss_mean_ablated", r.ceMean());
        j.put("ce_loss_recovered_mean", r.ceRecoveredMean());
        j.put("kl_clean_spliced", r.klSpliced());
        return j;
    }
}
