package dev.actlab.model.eval;

import dev.actlab.io.Progress;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import java.io.IOException;
import java.util.Arrays;

/**
 * Perplexity over a token stream cut into non-overlapping windows of ctx tokens. In every window
 * each position predicts the next token of the window, so a window of ctx tokens scores ctx - 1.
 */
public final class Perplexity {

    private Perplexity() {}

    /**
     * @param save  when not null, receives the logits of every scored position
     * @param base  when not null, the saved logits of a base model on the same tokens: KL and top-1
     */
    public static PerplexityResult run(LlamaModel model, int[] tokens, int ctx, Hooks hooks,
                                       SavedLogits.Writer save, SavedLogits base, Progress progress) throws IOException {
        int vocab = model.config().vocabSize();
        if (ctx < 2) throw new IllegalArgumentException("--ctx must be at least 2, got " + ctx);
        if (ctx > model.config().contextLength())
            throw new IllegalArgumentException("--ctx " + ctx + " exceeds the model's context length " + model.config().contextLength());
        if (tokens.length < 2) throw new IllegalArgumentException("the text has " + tokens.length + " tokens; perplexity needs at least 2");
        long total = 0;
        for (int s = 0; s < tokens.length - 1; s += ctx) total += Math.min(ctx, tokens.length - s) - 1;
        if (base != null) {
            if (base.vocab != vocab) throw new IllegalArgumentException("base logits have vocabulary " + base.vocab + ", the model " + vocab);
            if (base.rows() != total) throw new IllegalArgumentException("base logits score " + base.rows() + " positions, this run scores " + total + " (same text and --ctx?)");
        }
        double nll = 0;
        double[] kls = base == null ? null : new double[(int) total];
        long same = 0;
        double baseNll = 0;
        float[] baseRow = base == null ? null : new float[vocab];
        int windows = 0;
        long row = 0;
        for (int s = 0; s < tokens.length - 1; s += ctx) {
            int[] window = Arrays.copyOfRange(tokens, s, Math.min(tokens.length, s + ctx));
            float[] logits = model.forward(model.newCache(), window, hooks, true);   // [len, vocab]
            windows++;
            for (int t = 0; t + 1 < window.length; t++, row++) {
                int target = window[t + 1];
                nll -= TokenStats.logProb(logits, t * vocab, vocab, target);
                if (save != null) save.add(logits, t * vocab, target);
                if (base != null) {
                    if (base.targets[(int) row] != target)
                        throw new IllegalArgumentException("base logits row " + row + " scored token " + base.targets[(int) row] + ", this run token " + target + ": not the same text");
                    base.row((int) row, baseRow, 0);
                    kls[(int) row] = TokenStats.kl(baseRow, 0, logits, t * vocab, vocab);
                    if (TokenStats.argmax(baseRow, 0, vocab) == TokenStats.argmax(logits, t * vocab, vocab)) same++;
                    baseNll -= TokenStats.logProb(baseRow, 0, vocab, target);
                }
            }
            if (progress != null) progress.update(row, total);
        }
        PerplexityResult.KlStats kl = null;
        if (base != null) {
            double[] sorted = kls.clone();
            Arrays.sort(sorted);
            double mean = Arrays.stream(kls).sum() / total;
            kl = new PerplexityResult.KlStats(mean, sorted[sorted.length - 1], quantile(sorted, 0.99), quantile(sorted, 0.5),
                    (double) same / total, Math.exp(baseNll / total));
        }
        // the logits were checked finite by the forward pass and the base rows by SavedLogits, so a
        // non-finite result can only be an overflow of exp: say so rather than print NaN or Infinity
        double meanNll = nll / total, ppl = Math.exp(meanNll);
        if (!Double.isFinite(ppl) || (kl != null && !(Double.isFinite(kl.meanKl()) && Double.isFinite(kl.basePerplexity()))))
            throw new IllegalArgumentException(model.source() + ": perplexity is not a finite number: mean negative log-likelihood " + meanNll + " nats over "
                    + total + " tokens" + (kl == null ? "" : ", mean KL " + kl.meanKl() + ", base perplexity " + kl.basePerplexity()));
        return new PerplexityResult(windows, ctx, total, meanNll, ppl, kl);
    }

    private static double quantile(double[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
    }
}
