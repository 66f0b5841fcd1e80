package dev.actlab.sae;

import dev.actlab.model.eval.TokenStats;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.HookedDecoder;
import dev.actlab.model.hook.Hooks;
import dev.actlab.tensor.Parallel;
import java.util.ArrayList;
import java.util.List;

/**
 * Evaluates an SAE on a decoder and a text, as SAELens reports it: on the site's activations L0,
 * MSE, FVU, dead and dense latents; downstream, the next-token loss of the clean model, with the
 * SAE's reconstruction spliced in at the site (a replace hook), and with the site zero-ablated,
 * giving CE loss recovered = (L_zero - L_sae) / (L_zero - L_clean), and KL(clean || spliced); and with
 * the site mean-ablated (every position replaced by the site's mean over the evaluated rows, found in a
 * first pass), giving the same ratio against L_mean.
 *
 * <p>The text is cut into windows of ctx tokens, BOS first. The BOS position is neither replaced
 * nor counted (as in training); losses are over the predictions made at positions 1..ctx-2.
 */
public final class SaeEval {
    /** Top activations kept per latent, for examples. */
    public static final int TOP = 8;

    /** Tokens of context kept around each example: this many before it, and after it (the example's own included). */
    public static final int CONTEXT_BEFORE = 8, CONTEXT_AFTER = 4;

    /**
     * One place a latent fired: its value, the index of the token in the text's id stream, and the
     * latent's value at every token of the context [token - CONTEXT_BEFORE, token + CONTEXT_AFTER)
     * from contextStart (NaN where the context leaves the window the SAE ran on).
     */
    public record Example(float value, int token, int contextStart, float[] context) {}

    /** Bins of a histogram of a latent's non-zero activations: HISTOGRAM_BINS equal bins over [lo, hi]. */
    public static final int HISTOGRAM_BINS = 20;

    /** counts[b]: activations in [lo + b (hi - lo) / bins, lo + (b + 1) (hi - lo) / bins), the last bin closed. */
    public record Histogram(float lo, float hi, int[] counts) {}

    public record Result(long rows, int windows, double l0, double mse, double fvu, double deadFraction, double denseFraction,
                         double ceClean, double ceSpliced, double ceZero, double ceRecovered, double klSpliced,
                         double ceMean, double ceRecoveredMean, double[] density, List<List<Example>> top, List<Histogram> histograms) {
        public double explainedVariance() { return 1 - fvu; }
    }

    private SaeEval() {}

    /** tokens: the text's ids without BOS. */
    public static Result evaluate(HookedDecoder model, Sae sae, int[] tokens, int ctx, int maxWindows, Parallel par, Progress progress) {
        String site = sae.cfg.hookName();
        if (!model.sites().names().contains(site)) throw new IllegalArgumentException("the SAE reads " + site + ", which " + model.source() + " does not have");
        int width = ModelActivations.siteWidth(model, site);
        if (width != sae.dIn()) throw new IllegalArgumentException(site + " of " + model.source() + " is " + width + " wide, the SAE's d_in is " + sae.dIn());
        if (ctx < 3 || ctx > model.contextLength()) throw new IllegalArgumentException("ctx " + ctx + " must be in [3, " + model.contextLength() + "]");
        int bos = model.tokenizer() == null ? -1 : model.tokenizer().bosId();
        if (bos < 0) throw new IllegalArgumentException(model.source() + " has no BOS token");
        int body = ctx - 1, d = sae.dIn(), dSae = sae.dSae(), V = model.vocabSize();
        int windows = Math.min(maxWindows, tokens.length / body);
        if (windows == 0) throw new IllegalArgumentException("the text has " + tokens.length + " tokens, fewer than one window of " + body);
        float[] mean = siteMean(model, site, tokens, bos, ctx, windows, d);
        double[] sum = new double[d], sumSq = new double[d];
        double err = 0, l0 = 0, ceC = 0, ceS = 0, ceZ = 0, ceM = 0, kl = 0;
        long rows = 0, preds = 0;
        long[] fired = new long[dSae];
        float[][] topVal = new float[dSae][TOP];
        int[][] topTok = new int[dSae][TOP];
        float[][][] topCtx = new float[dSae][TOP][];
        int[] topN = new int[dSae];
        float[][] acts = new float[dSae][];   // each latent's non-zero activations, the first nonZero[i] of them
        int[] nonZero = new int[dSae];
        for (int w = 0; w < windows; w++) {
            int[] win = new int[ctx];
            win[0] = bos;
            System.arraycopy(tokens, w * body, win, 1, body);
            float[][] xs = new float[1][];
            float[] clean = model.runWithHooks(win, Hooks.of(site, a -> xs[0] = java.util.Arrays.copyOfRange(a.data, a.offset + d, a.offset + ctx * d)));
            float[] x = xs[0];
            int n = ctx - 1;
            SparseCode code = sae.encode(x, n, par);
            float[] xh = sae.decode(code);
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < d; j++) {
                    double v = x[r * d + j], e = v - xh[r * d + j];
                    sum[j] += v; sumSq[j] += v * v; err += e * e;
                }
                int[] idx = code.indices(r);
                float[] val = code.values(r);
                l0 += idx.length;
                int tok = w * body + r;
                for (int a = 0; a < idx.length; a++) {
                    int i = idx[a];
                    fired[i]++;
                    if (val[a] != 0) {
                        if (acts[i] == null) acts[i] = new float[8];
                        else if (nonZero[i] == acts[i].length) acts[i] = java.util.Arrays.copyOf(acts[i], 2 * acts[i].length);
                        acts[i][nonZero[i]++] = val[a];
                    }
                    int at = keepTop(topVal[i], topTok[i], topCtx[i], topN, i, val[a], tok);
                    if (at >= 0) topCtx[i][at] = context(code, i, r, n);
                }
            }
            rows += n;
            float[] spliced = model.runWithHooks(win, Hooks.of(site, a -> System.arraycopy(xh, 0, a.data, a.offset + d, n * d)));
            float[] zero = model.runWithHooks(win, Hooks.of(site, a -> java.util.Arrays.fill(a.data, a.offset + d, a.offset + ctx * d, 0f)));
            float[] meaned = model.runWithHooks(win, Hooks.of(site, a -> { for (int r = 1; r < ctx; r++) System.arraycopy(mean, 0, a.data, a.offset + r * d, d); }));
            for (int p = 1; p < ctx - 1; p++) {
                int target = win[p + 1];
                double[] lc = TokenStats.logSoftmax(clean, p * V, V), ls = TokenStats.logSoftmax(spliced, p * V, V), lz = TokenStats.logSoftmax(zero, p * V, V);
                ceC -= lc[target]; ceS -= ls[target]; ceZ -= lz[target];
                ceM -= TokenStats.logSoftmax(meaned, p * V, V)[target];
                double k = 0;
                for (int t = 0; t < V; t++) k += Math.exp(lc[t]) * (lc[t] - ls[t]);
                kl += k;
                preds++;
            }
            progress.update(w + 1, windows);
        }
        double var = 0;
        for (int j = 0; j < d; j++) var += sumSq[j] - sum[j] * sum[j] / rows;
        double[] density = new double[dSae];
        int dead = 0, dense = 0;
        for (int i = 0; i < dSae; i++) {
            density[i] = (double) fired[i] / rows;
            if (fired[i] == 0) dead++;
            if (density[i] > 0.1) dense++;
        }
        List<List<Example>> top = new ArrayList<>();
        for (int i = 0; i < dSae; i++) {
            List<Example> ex = new ArrayList<>();
            for (int q = 0; q < topN[i]; q++) ex.add(new Example(topVal[i][q], topTok[i][q], topTok[i][q] - CONTEXT_BEFORE, topCtx[i][q]));
            top.add(ex);
        }
        List<Histogram> histograms = new ArrayList<>();
        for (int i = 0; i < dSae; i++) histograms.add(histogram(acts[i], nonZero[i]));
        ceC /= preds; ceS /= preds; ceZ /= preds; ceM /= preds;
        return new Result(rows, windows, l0 / rows, err / ((double) rows * d), err / var, (double) dead / dSae, (double) dense / dSae,
                ceC, ceS, ceZ, (ceZ - ceS) / (ceZ - ceC), kl / preds, ceM, (ceM - ceS) / (ceM - ceC), density, top, histograms);
    }

    /** HISTOGRAM_BINS bins from min(0, smallest) to the largest of the first n values. */
    static Histogram histogram(float[] v, int n) {
        int[] counts = new int[HISTOGRAM_BINS];
        if (n == 0) return new Histogram(0, 0, counts);
        float lo = 0, hi = v[0];
        for (int k = 0; k < n; k++) { lo = Math.min(lo, v[k]); hi = Math.max(hi, v[k]); }
        double width = (hi - lo) / HISTOGRAM_BINS;
        for (int k = 0; k < n; k++) counts[width > 0 ? Math.min(HISTOGRAM_BINS - 1, (int) ((v[k] - lo) / width)) : HISTOGRAM_BINS - 1]++;
        return new Histogram(lo, hi, counts);
    }

    /** The site's mean over the rows the evaluation replaces (positions 1..ctx-1 of every window): shape [d]. */
    static float[] siteMean(HookedDecoder model, String site, int[] tokens, int bos, int ctx, int windows, int d) {
        double[] sum = new double[d];
        int body = ctx - 1;
        for (int w = 0; w < windows; w++) {
            int[] win = new int[ctx];
            win[0] = bos;
            System.arraycopy(tokens, w * body, win, 1, body);
            model.runWithHooks(win, Hooks.of(site, a -> {
                for (int r = 1; r < ctx; r++) for (int j = 0; j < d; j++) sum[j] += a.data[a.offset + r * d + j];
            }));
        }
        float[] mean = new float[d];
        for (int j = 0; j < d; j++) mean[j] = (float) (sum[j] / ((long) windows * body));
        return mean;
    }

    /** Inserts (v, t) into latent i's top list, sorted by value, largest first; returns its slot, or -1 when it is not kept. */
    private static int keepTop(float[] val, int[] tok, float[][] ctx, int[] count, int i, float v, int t) {
        int m = count[i];
        if (m == val.length && !(v > val[m - 1])) return -1;
        int p = m == val.length ? m - 1 : m;
        if (m < val.length) count[i]++;
        while (p > 0 && v > val[p - 1]) { val[p] = val[p - 1]; tok[p] = tok[p - 1]; ctx[p] = ctx[p - 1]; p--; }
        val[p] = v; tok[p] = t;
        return p;
    }

    /** Latent i's value at rows r - CONTEXT_BEFORE .. r + CONTEXT_AFTER - 1 of the window's code (0 where it is not active, NaN outside the window's n rows). */
    private static float[] context(SparseCode code, int i, int r, int n) {
        float[] out = new float[CONTEXT_BEFORE + CONTEXT_AFTER];
        for (int k = 0; k < out.length; k++) {
            int row = r - CONTEXT_BEFORE + k;
            if (row < 0 || row >= n) { out[k] = Float.NaN; continue; }
            int[] idx = code.indices(row);
            float[] val = code.values(row);
            for (int a = 0; a < idx.length; a++) if (idx[a] == i) { out[k] = val[a]; break; }
        }
        return out;
    }
}
