package dev.actlab.model.eval;

import java.util.Arrays;

/**
 * KL divergence of a model Q from a base, token by token, computed as llama-perplexity
 * --kl-divergence computes it, so that the figures are the same: the base row is first stored as
 * llama-perplexity stores it in its base file (log-probabilities over the top 16 nats of the logits,
 * rounded to 16-bit steps of range / 65535; anything lower is stored as 0), and per token, with its
 * float and double arithmetic: the loss of Q and of the stored base, KL(base || Q) summed over the
 * entries whose stored log-probability exceeds -16, the change in the probability of the correct
 * token, and whether the two argmax tokens agree (the base's from its stored values). The summary
 * follows llama-perplexity's definitions: standard errors of means as sqrt((E[x^2] - E[x]^2) / (n - 1)),
 * the median as the mean of the two middle values, percentiles interpolated between neighbours.
 */
public final class LlamaCppKld {
    private double sumNll, sumNll2, sumNllBase, sumNllBase2, sumNllNllBase, sumKld, sumKld2, sumDp, sumDp2, sumDp4;
    private long sameTop, count;
    private float[] kld = new float[1024];

    /** Adds one token: base and q logits rows of vocab entries at their offsets, target the correct next token. */
    public void add(float[] base, int baseOff, float[] q, int qOff, int vocab, int target) {
        // the base row as llama-perplexity stores it
        float max = base[baseOff], min = base[baseOff];
        for (int i = 1; i < vocab; i++) { max = Math.max(max, base[baseOff + i]); min = Math.min(min, base[baseOff + i]); }
        min = Math.max(min, max - 16);
        double baseSum = 0;
        for (int i = 0; i < vocab; i++) baseSum += expf(base[baseOff + i] - max);
        float baseLse = (float) Math.log(baseSum);
        float minLogProb = min - max - baseLse;
        float scale = (max - min) / 65535f;
        int[] stored = new int[vocab];
        if (scale != 0) {
            float inv = 1 / scale;
            for (int i = 0; i < vocab; i++) stored[i] = base[baseOff + i] > min ? (int) Math.rint(inv * (base[baseOff + i] - min)) & 0xFFFF : 0;
        }

        // Q against it, with llama-perplexity's arithmetic
        float qMax = q[qOff];
        int qTop = 0;
        for (int i = 1; i < vocab; i++) if (q[qOff + i] > qMax) { qMax = q[qOff + i]; qTop = i; }
        double qSum = 0;
        for (int i = 0; i < vocab; i++) qSum += expf(q[qOff + i] - qMax);
        float qLse = (float) Math.log(qSum);
        float nll = qMax + qLse - q[qOff + target];
        sumNll += nll;
        sumNll2 += nll * nll;
        float nllBase = -(scale * stored[target] + minLogProb);
        sumNllBase += nllBase;
        sumNllBase2 += nllBase * nllBase;
        sumNllNllBase += nll * nllBase;
        float qLogZ = qMax + qLse;
        double kl = 0;
        int baseTop = -1;
        float baseTopLogP = 0;
        for (int i = 0; i < vocab; i++) {
            float lpBase = scale * stored[i] + minLogProb;
            if (i == 0 || lpBase > baseTopLogP) { baseTopLogP = lpBase; baseTop = i; }
            if (lpBase > -16f) {
                float pBase = expf(lpBase);
                kl += pBase * (lpBase - q[qOff + i] + qLogZ);
            }
        }
        sumKld += kl;
        sumKld2 += kl * kl;
        if (qTop == baseTop) sameTop++;
        float dp = expf(-nll) - expf(-nllBase);
        sumDp += dp;
        double dp2 = dp * dp;
        sumDp2 += dp2;
        sumDp4 += dp2 * dp2;
        if (count == kld.length) kld = Arrays.copyOf(kld, kld.length * 2);
        kld[(int) count++] = (float) kl;
    }

    public long count() { return count; }

    /** Every token's KL divergence so far, ascending (what the percentiles are read from). */
    public float[] sortedKld() {
        float[] s = Arrays.copyOf(kld, (int) count);
        Arrays.sort(s);
        return s;
    }

    /** The statistics llama-perplexity prints at the end of a --kl-divergence run. */
    public QuantizationStats stats() {
        if (count == 0) throw new IllegalStateException("no token scored");
        long n = count;
        double[] nllQ = meanAndError(sumNll, sumNll2, n), nllB = meanAndError(sumNllBase, sumNllBase2, n);
        double cov = n < 10 ? 0 : (sumNllNllBase / n - (sumNll / n) * (sumNllBase / n)) / (n - 1);
        double ratio = nllQ[0] - nllB[0];
        double ratioErr = Math.sqrt(nllQ[1] * nllQ[1] + nllB[1] * nllB[1] - 2 * cov);
        double[] k = meanAndError(sumKld, sumKld2, n);
        double[] ms = meanAndError(sumDp2, sumDp4, n);
        double rms = Math.sqrt(ms[0]), rmsErr = 0.5 / rms * ms[1];
        double same = (double) sameTop / n, sameErr = Math.sqrt(same * (1 - same) / (n - 1));
        float[] sorted = Arrays.copyOf(kld, (int) n);
        Arrays.sort(sorted);
        return new QuantizationStats(n, Math.exp(nllQ[0]), Math.exp(nllB[0]), ratio, ratioErr, k[0], k[1], median(sorted),
                percentile(sorted, 0.900f), percentile(sorted, 0.950f), percentile(sorted, 0.990f), percentile(sorted, 0.999f),
                sorted[sorted.length - 1], same, sameErr, rms, rmsErr);
    }

    /** llama-perplexity's mean and its standard error (0 below 11 values). */
    private static double[] meanAndError(double sum, double sum2, long n) {
        double f = sum / n, df = sum2 / n - f * f;
        return new double[]{f, df > 0 && n > 10 ? Math.sqrt(df / (n - 1)) : 0};
    }

    private static float median(float[] v) {
        int n = v.length;
        return n % 2 == 0 ? 0.5f * (v[n / 2] + v[n / 2 - 1]) : v[n / 2];
    }

    private static float percentile(float[] v, float fraction) {
        float p = fraction * (v.length - 1);
        int ip = (int) p;
        p -= ip;
        return (1 - p) * v[ip] + p * v[Math.min(ip + 1, v.length - 1)];
    }

    /** C's expf (glibc's is correctly rounded; the double exp rounded to float agrees). */
    private static float expf(float x) { return (float) Math.exp(x); }
}
