package dev.actlab.model.eval;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.HookedDecoder;
import dev.actlab.model.hook.Hooks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Perplexity of several models and their KL divergence from a base model, on the same windows, with
 * no logits saved to disk: each window runs once through the base and once through every candidate,
 * and every candidate's statistics accumulate side by side (so a sweep pays for the base once).
 * Every position of a window predicts the next token of the window. Non-finite logits stop the run.
 */
public final class PairedPerplexity {
    private PairedPerplexity() {}

    /**
     * Non-overlapping windows over a token stream: each is [bos, ctx - 1 tokens] when bos >= 0 (as
     * the model saw sequences in training), else ctx tokens; a last partial window is kept when it
     * holds at least 2 tokens. With maxWindows > 0 and more windows than that, maxWindows of them evenly spaced.
     */
    public static int[][] windows(int[] tokens, int bos, int ctx, int maxWindows) {
        if (ctx < 2) throw new IllegalArgumentException("evaluation context must be at least 2 tokens, got " + ctx);
        int body = bos >= 0 ? ctx - 1 : ctx;
        List<int[]> all = new ArrayList<>();
        for (int s = 0; s < tokens.length; s += body) {
            int len = Math.min(body, tokens.length - s);
            int[] w = new int[len + (bos >= 0 ? 1 : 0)];
            int o = 0;
            if (bos >= 0) w[o++] = bos;
            System.arraycopy(tokens, s, w, o, len);
            if (w.length >= 2) all.add(w);
        }
        if (all.isEmpty()) throw new IllegalArgumentException("the evaluation text has " + tokens.length + " tokens: no window to score");
        if (maxWindows > 0 && all.size() > maxWindows) {
            List<int[]> pick = new ArrayList<>();
            for (int i = 0; i < maxWindows; i++) pick.add(all.get((int) ((long) i * (all.size() - 1) / Math.max(1, maxWindows - 1))));
            all = pick;
        }
        return all.toArray(new int[0][]);
    }

    private static final class Acc {
        final List<Double> kld = new ArrayList<>();
        double nll, dp2Sum, dp4Sum, diffSum, diff2Sum;
        long same, n;
    }

    /** The statistics of every candidate against the base, in candidate order. */
    public static List<QuantizationStats> run(HookedDecoder base, List<? extends HookedDecoder> candidates, int[][] windows, Progress progress) {
        int vocab = base.vocabSize();
        for (HookedDecoder c : candidates)
            if (c.vocabSize() != vocab) throw new IllegalArgumentException(c.source() + " has vocabulary " + c.vocabSize() + ", the base " + vocab);
        for (int[] w : windows)
            if (w.length > base.contextLength()) throw new IllegalArgumentException("a window of " + w.length + " tokens exceeds the model's context " + base.contextLength());
        long total = 0;
        for (int[] w : windows) total += w.length - 1;
        Acc[] acc = new Acc[candidates.size()];
        for (int i = 0; i < acc.length; i++) acc[i] = new Acc();
        double baseNll = 0;
        long done = 0;
        for (int wi = 0; wi < windows.length; wi++) {
            int[] w = windows[wi];
            float[] bl = base.runWithHooks(w, Hooks.none());
            requireFinite(bl, vocab, base.source(), wi);
            int n = w.length - 1;
            double[] baseLp = new double[n];
            double[][] baseLogProbs = new double[n][], baseProbs = new double[n][];
            int[] baseTop = new int[n];
            for (int t = 0; t < n; t++) {
                baseLogProbs[t] = TokenStats.logSoftmax(bl, t * vocab, vocab);
                baseProbs[t] = new double[vocab];
                for (int i = 0; i < vocab; i++) baseProbs[t][i] = Math.exp(baseLogProbs[t][i]);
                baseLp[t] = baseLogProbs[t][w[t + 1]];
                baseNll -= baseLp[t];
                baseTop[t] = argmax(bl, t * vocab, vocab);
            }
            for (int ci = 0; ci < candidates.size(); ci++) {
                HookedDecoder c = candidates.get(ci);
                float[] cl = c.runWithHooks(w, Hooks.none());
                requireFinite(cl, vocab, c.source(), wi);
                Acc a = acc[ci];
                for (int t = 0; t < n; t++) {
                    double[] lq = TokenStats.logSoftmax(cl, t * vocab, vocab), lb = baseLogProbs[t], pb = baseProbs[t];
                    double kl = 0;
                    for (int i = 0; i < vocab; i++) kl += pb[i] * (lb[i] - lq[i]);
                    a.kld.add(Math.max(0, kl));
                    int target = w[t + 1];
                    a.nll -= lq[target];
                    double dp = Math.exp(lq[target]) - Math.exp(baseLp[t]);
                    a.dp2Sum += dp * dp; a.dp4Sum += dp * dp * dp * dp;
                    double diff = baseLp[t] - lq[target];                 // ln p_base - ln p_Q: its mean is ln(PPL(Q)/PPL(base))
                    a.diffSum += diff; a.diff2Sum += diff * diff;
                    if (argmax(cl, t * vocab, vocab) == baseTop[t]) a.same++;
                    a.n++;
                }
            }
            done += n;
            progress.update(done, total);
        }
        List<QuantizationStats> out = new ArrayList<>();
        for (Acc a : acc) out.add(stats(a, baseNll / total));
        return out;
    }

    private static QuantizationStats stats(Acc a, double baseMeanNll) {
        long n = a.n;
        double[] k = a.kld.stream().mapToDouble(Double::doubleValue).toArray();
        double mean = Arrays.stream(k).sum() / n, sq = 0;
        for (double v : k) sq += (v - mean) * (v - mean);
        double kldErr = n > 1 ? Math.sqrt(sq / (n - 1) / n) : 0;
        Arrays.sort(k);
        double p = (double) a.same / n;
        double sameErr = n > 1 ? Math.sqrt(p * (1 - p) / (n - 1)) : 0;
        double ms = a.dp2Sum / n, rms = Math.sqrt(ms);                       // RMS dp; its error by the delta method on mean(dp^2)
        double msErr = n > 1 ? Math.sqrt(Math.max(0, a.dp4Sum / n - ms * ms) / (n - 1)) : 0;
        double rmsErr = rms > 0 ? 0.5 / rms * msErr : 0;
        double diffMean = a.diffSum / n;
        double diffErr = n > 1 ? Math.sqrt(Math.max(0, (a.diff2Sum - n * diffMean * diffMean) / (n - 1)) / n) : 0;
        return new QuantizationStats(n, Math.exp(a.nll / n), Math.exp(baseMeanNll), diffMean, diffErr,
                mean, kldErr, quantile(k, 0.5), quantile(k, 0.90), quantile(k, 0.95), quantile(k, 0.99), quantile(k, 0.999), k[k.length - 1],
                p, sameErr, rms, rmsErr);
    }

    private static double quantile(double[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
    }

    private static int argmax(float[] v, int off, int n) { return TokenStats.argmax(v, off, n); }

    private static void requireFinite(float[] logits, int vocab, String model, int window) {
        for (int i = 0; i < logits.length; i++)
            if (!Float.isFinite(logits[i]))
                throw new IllegalArgumentException(model + ": non-finite logit " + logits[i] + " in evaluation window " + window
                        + " at position " + i / vocab + ", token " + i % vocab + ": the model broke down");
    }
}
