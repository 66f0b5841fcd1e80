package dev.actlab.cli;

import dev.actlab.io.Json;
import dev.actlab.io.ProgressBar;

import dev.actlab.model.eval.LlamaCppPerplexity;
import dev.actlab.model.eval.Perplexity;
import dev.actlab.model.eval.PerplexityResult;
import dev.actlab.model.eval.SavedLogits;
import dev.actlab.model.llama.LlamaCppArithmetic;
import dev.actlab.model.llama.LlamaModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "ppl", description = {"Perplexity over a text; with --kl-base, KL divergence and top-1 agreement",
        "against saved base logits (the numbers llama-perplexity --kl-divergence prints)."})
final class PplCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOption model;

    static final class Input {
        @Option(names = "--text", description = "UTF-8 text file (needs a model with a tokenizer).") Path text;
        @Option(names = "--tokens-file", description = "File of whitespace-separated token ids.") Path tokensFile;
    }
    @ArgGroup(exclusive = true, multiplicity = "1") Input input;

    @Option(names = "--ctx", defaultValue = "512", description = "Window length in tokens (default ${DEFAULT-VALUE}, capped at the model's context; 0 = the model's context, as in inspect and capture).") int ctx;
    @Option(names = "--save-logits", description = "Save the scored logits (+ FILE.json) as a base for --kl-base.") Path saveLogits;
    @Option(names = "--kl-base", description = "Logits saved by --save-logits from a base model on the same text.") Path klBase;
    @Option(names = "--protocol", defaultValue = "actlab", description = {"actlab (default): windows of --ctx tokens, every position scored;",
            "llama.cpp: llama-perplexity's: full chunks of --ctx tokens, each chunk's first token replaced by BOS (when the model's tokenizer adds one),",
            "only the second half of each chunk scored, and with --kl-base its KL statistics computed as llama-perplexity --kl-divergence does",
            "(base log-probabilities rounded to its 16-bit storage), computed with the roundings of llama.cpp's CPU backend (each matmul input",
            "rounded to its weights' vec_dot_type: Q8_0 blocks for Q8_0/Q4_0/Q5_0, Q8_K for K-quants, F16 for F16; keys and values stored as F16):",
            "the same PPL and KLD figures on the same model and text."}) String protocol;
    @Mixin ThreadsOption threads;
    @Mixin JsonOption json;
    @Mixin ControlVectorOptions steering;
    @Mixin CheckFiniteOption finite;
    @Mixin SparsityOption sparsity;

    @Override public Integer call() throws Exception {
        threads.apply();
        if (!protocol.equals("actlab") && !protocol.equals("llama.cpp"))
            throw new IllegalArgumentException("--protocol must be actlab or llama.cpp, not '" + protocol + "'");
        OutputPath.file("--save-logits", saveLogits);
        boolean llamaCpp = protocol.equals("llama.cpp");
        LlamaModel m = sparsity.apply(llamaCpp ? LlamaCppArithmetic.of(model.decoder()) : model.decoder(), false);
        int[] tokens = readTokens(m);
        if (ctx < 0) throw new IllegalArgumentException("--ctx must be >= 0 (0 = the model's context), not " + ctx);
        int window = ctx == 0 ? m.config().contextLength() : Math.min(ctx, m.config().contextLength());
        SavedLogits base = klBase == null ? null : SavedLogits.open(klBase);
        ProgressBar bar = new ProgressBar("ppl", "tokens");
        String text = input.tokensFile != null ? "token ids from " + input.tokensFile : input.text.toString();
        if (llamaCpp) {
            int bos = m.tokenizer() == null ? -1 : m.tokenizer().bosId();
            LlamaCppPerplexity.Result r;
            try (SavedLogits.Writer save = saveLogits == null ? null : new SavedLogits.Writer(saveLogits, m.config().vocabSize())) {
                r = LlamaCppPerplexity.run(m, tokens, window, bos, finite.with(steering.hooks(m), m), save, base, bar::update);
                if (save != null) save.commit();
            }
            PplOutput.llamaCpp(spec.commandLine().getOut(), json.enabled, model.path().toString(), text, tokens.length, r, saveLogits);
            return 0;
        }
        PerplexityResult r;
        try (SavedLogits.Writer save = saveLogits == null ? null : new SavedLogits.Writer(saveLogits, m.config().vocabSize())) {
            r = Perplexity.run(m, tokens, window, finite.with(steering.hooks(m), m), save, base, bar::update);
            if (save != null) save.commit();
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json.enabled) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("protocol", PplOutput.actlab(model.path().toString(), text, r.scoredTokens(), r.contextLength()));
            j.put("model", model.path().toString());
            j.put("tokens", tokens.length);
            j.put("ctx", r.contextLength());
            j.put("windows", r.windows());
            j.put("scored_tokens", r.scoredTokens());
            j.put("mean_nll", r.meanNll());
            j.put("perplexity", r.perplexity());
            if (steering.given()) j.put("steering", steering.describe(m));
            if (sparsity.given()) j.put("sparsity", sparsity.describe());
            if (r.kl() != null) {
                j.put("base_perplexity", r.kl().basePerplexity());
                j.put("ln_ppl_ratio", Math.log(r.perplexity() / r.kl().basePerplexity()));
                j.put("mean_kld", r.kl().meanKl());
                j.put("median_kld", r.kl().medianKl());
                j.put("p99_kld", r.kl().p99Kl());
                j.put("max_kld", r.kl().maxKl());
                j.put("same_top1", r.kl().sameTop1());
            }
            out.println(Json.write(j));
        } else {
            out.println(PplOutput.line(PplOutput.actlab(model.path().toString(), text, r.scoredTokens(), r.contextLength())));
            out.printf("%d tokens, %d windows of %d, %d scored%n", tokens.length, r.windows(), r.contextLength(), r.scoredTokens());
            out.printf("Mean PPL(Q)    : %10.4f%n", r.perplexity());
            if (r.kl() != null) {
                out.printf("Mean PPL(base) : %10.4f%n", r.kl().basePerplexity());
                out.printf("ln(PPL(Q)/PPL(base)) : %10.6f%n", Math.log(r.perplexity() / r.kl().basePerplexity()));
                out.printf("Mean    KLD    : %10.6f%n", r.kl().meanKl());
                out.printf("Median  KLD    : %10.6f%n", r.kl().medianKl());
                out.printf("99.0%%   KLD    : %10.6f%n", r.kl().p99Kl());
                out.printf("Maximum KLD    : %10.6f%n", r.kl().maxKl());
                out.printf("Same top p     : %9.3f %%%n", 100 * r.kl().sameTop1());
            }
            if (sparsity.given()) sparsity.printSummary(out);
            if (saveLogits != null) out.println("saved logits to " + saveLogits + " (+ .json)");
        }
        return 0;
    }

    private int[] readTokens(LlamaModel m) throws Exception {
        if (input.tokensFile != null) return TextInput.tokenIds(input.tokensFile);
        if (m.tokenizer() == null)
            throw new IllegalArgumentException(m.source() + " has no tokenizer (llama2.c checkpoints carry none): use --tokens-file");
        return m.tokenizer().encode(TextInput.utf8(input.text), true);
    }
}
