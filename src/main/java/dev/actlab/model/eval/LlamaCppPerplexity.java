package dev.actlab.model.eval;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import java.io.IOException;
import java.util.Arrays;

/**
 * Perplexity with llama-perplexity's protocol: the token stream (tokenized with BOS when the model's
 * tokenizer adds one) cut into non-overlapping chunks of ctx tokens from the start, a last partial
 * chunk dropped; each chunk's first token replaced by BOS (when the model has one) and run from
 * position 0; only the second half scored: positions ctx/2 .. ctx-2 predict the next token, ctx - 1 -
 * ctx/2 tokens per chunk. Against saved base logits (of the same protocol), the KL statistics are
 * {@link LlamaCppKld}'s, llama-perplexity --kl-divergence's to the digit.
 */
public final class LlamaCppPerplexity {
    private LlamaCppPerplexity() {}

    /**
     * @param chunks        full chunks run
     * @param scoredTokens  positions whose next token was scored
     * @param bos           the id written over each chunk's first token, or -1
     * @param perplexityError llama-perplexity's "+/-": perplexity x the standard error of the mean loss
     * @param kl            null unless compared against base logits
     */
    public record Result(int chunks, int contextLength, long scoredTokens, int bos, double meanNll, double perplexity,
                         double perplexityError, QuantizationStats kl) {}

    /** The chunks the protocol runs: full chunks of ctx tokens, each with bos (when >= 0) over its first token. */
    public static int[][] chunks(int[] tokens, int ctx, int bos) {
        int n = tokens.length / ctx;
        int[][] out = new int[n][];
        for (int i = 0; i < n; i++) {
            out[i] = Arrays.copyOfRange(tokens, i * ctx, (i + 1) * ctx);
            if (bos >= 0) out[i][0] = bos;
        }
        return out;
    }

    /** Scored positions per chunk. */
    public static int scoredPerChunk(int ctx) { return ctx - 1 - ctx / 2; }

    /**
     * @param save  when not null, receives the logits of every scored position
     * @param base  when not null, logits saved by an earlier run of this protocol on the same tokens
     */
    public static Result run(LlamaModel model, int[] tokens, int ctx, int bos, Hooks hooks,
                             SavedLogits.Writer save, SavedLogits base, Progress progress) throws IOException {
        int vocab = model.config().vocabSize();
        if (ctx < 4) throw new IllegalArgumentException("--ctx must be at least 4 for the llama.cpp protocol (half of each chunk is scored), got " + ctx);
        if (ctx > model.config().contextLength())
            throw new IllegalArgumentException("--ctx " + ctx + " exceeds the model's context length " + model.config().contextLength());
        if (tokens.length < 2 * ctx)
            throw new IllegalArgumentException("the text has " + tokens.length + " tokens; llama-perplexity needs at least 2 x --ctx = " + 2 * ctx);
        int[][] chunks = chunks(tokens, ctx, bos);
        int first = ctx / 2, per = scoredPerChunk(ctx);
        long total = (long) chunks.length * per;
        if (base != null) {
            if (base.vocab != vocab) throw new IllegalArgumentException("base logits have vocabulary " + base.vocab + ", the model " + vocab);
            if (base.rows() != total)
                throw new IllegalArgumentException("base logits score " + base.rows() + " positions, this run scores " + total + " (same text, --ctx and --protocol?)");
        }
        LlamaCppKld kl = base == null ? null : new LlamaCppKld();
        float[] baseRow = base == null ? null : new float[vocab];
        double nll = 0, nll2 = 0;
        int row = 0;
        for (int c = 0; c < chunks.length; c++) {
            int[] chunk = chunks[c];
            float[] logits = model.forward(model.newCache(), chunk, hooks, true);   // [ctx, vocab]
            for (int t = first; t < ctx - 1; t++, row++) {
                int target = chunk[t + 1];
                double v = -logProb(logits, t * vocab, vocab, target);
                nll += v;
                nll2 += v * v;
                if (save != null) save.add(logits, t * vocab, target);
                if (base != null) {
                    if (base.targets[row] != target)
                        throw new IllegalArgumentException("base logits row " + row + " scored token " + base.targets[row] + ", this run token " + target + ": not the same text");
                    base.row(row, baseRow, 0);
                    kl.add(baseRow, 0, logits, t * vocab, vocab, target);
                }
            }
            if (progress != null) progress.update(row, total);
        }
        double mean = nll / total, var = nll2 / total - mean * mean;
        double ppl = Math.exp(mean);
        if (!Double.isFinite(ppl))
            throw new IllegalArgumentException(model.source() + ": perplexity is not a finite number: mean negative log-likelihood " + mean + " nats over " + total + " tokens");
        double err = var > 0 ? ppl * Math.sqrt(var / (total - 1)) : 0;
        return new Result(chunks.length, ctx, total, bos, mean, ppl, err, kl == null ? null : kl.stats());
    }

    /** llama-perplexity's log-softmax of the target: float max and difference, a double sum of float exps. */
    private static double logProb(float[] logits, int off, int vocab, int target) {
        float max = logits[off];
        for (int i = 1; i < vocab; i++) max = Math.max(max, logits[off + i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) sum += (float) Math.exp(logits[off + i] - max);
        return (logits[off + target] - max) - Math.log(sum);
    }
}
