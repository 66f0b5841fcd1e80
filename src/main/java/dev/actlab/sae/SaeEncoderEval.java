package dev.actlab.sae;

import dev.actlab.io.Progress;
import dev.actlab.model.bert.BertModel;
import dev.actlab.model.hook.Hooks;
import dev.actlab.tensor.Parallel;
import java.util.Arrays;

/**
 * Evaluates an SAE on an encoder (BERT, e.g. MiniLM), which has no next-token loss: on the site's
 * activations L0, MSE, FVU and dead latents as {@link SaeEval}; downstream, the sentence embedding
 * (mean pooled over the window's tokens, L2-normalised) with the reconstruction spliced in at the
 * site and with the site zero-ablated, each compared with the clean one by cosine similarity, and
 * "embedding recovered" = (cos_spliced - cos_zero) / (1 - cos_zero), the analogue of CE loss recovered
 * (1: the spliced model embeds as the clean one; 0: no better than zeroing the site).
 *
 * <p>Windows are those of training ({@link ModelActivations}): [CLS] then ctx - 1 text tokens; the
 * [CLS] position is neither replaced nor counted.
 */
public final class SaeEncoderEval {
    public record Result(long rows, int windows, double l0, double mse, double fvu, double deadFraction,
                         double cosSpliced, double cosZero, double embeddingRecovered) {}

    private SaeEncoderEval() {}

    /** tokens: the text's ids without [CLS]/[SEP]. */
    public static Result evaluate(BertModel model, Sae sae, int[] tokens, int ctx, int maxWindows, Parallel par, Progress progress) {
        String site = sae.cfg.hookName();
        if (!model.sites().names().contains(site)) throw new IllegalArgumentException("the SAE reads " + site + ", which " + model.source() + " does not have");
        int d = sae.dIn(), dSae = sae.dSae();
        if (model.dModel() != d) throw new IllegalArgumentException(site + " of " + model.source() + " is " + model.dModel() + " wide, the SAE's d_in is " + d);
        if (ctx < 2 || ctx > model.contextLength()) throw new IllegalArgumentException("ctx " + ctx + " must be in [2, " + model.contextLength() + "]");
        int body = ctx - 1, n = body;
        int windows = Math.min(maxWindows, tokens.length / body);
        if (windows == 0) throw new IllegalArgumentException("the text has " + tokens.length + " tokens, fewer than one window of " + body);
        double[] sum = new double[d], sumSq = new double[d];
        double err = 0, l0 = 0, cosS = 0, cosZ = 0;
        long rows = 0;
        long[] fired = new long[dSae];
        for (int w = 0; w < windows; w++) {
            int[] win = new int[ctx];
            win[0] = model.tokenizer().bosId();
            System.arraycopy(tokens, w * body, win, 1, body);
            float[][] xs = new float[1][];
            float[] clean = embedding(model, win, Hooks.of(site, a -> xs[0] = Arrays.copyOfRange(a.data, a.offset + d, a.offset + ctx * d)));
            float[] x = xs[0];
            SparseCode code = sae.encode(x, n, par);
            float[] xh = sae.decode(code);
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < d; j++) {
                    double v = x[r * d + j], e = v - xh[r * d + j];
                    sum[j] += v; sumSq[j] += v * v; err += e * e;
                }
                int[] idx = code.indices(r);
                l0 += idx.length;
                for (int i : idx) fired[i]++;
            }
            rows += n;
            float[] spliced = embedding(model, win, Hooks.of(site, a -> System.arraycopy(xh, 0, a.data, a.offset + d, n * d)));
            float[] zero = embedding(model, win, Hooks.of(site, a -> Arrays.fill(a.data, a.offset + d, a.offset + ctx * d, 0f)));
            cosS += dot(clean, spliced);
            cosZ += dot(clean, zero);
            progress.update(w + 1, windows);
        }
        double var = 0;
        for (int j = 0; j < d; j++) var += sumSq[j] - sum[j] * sum[j] / rows;
        int dead = 0;
        for (long f : fired) if (f == 0) dead++;
        cosS /= windows; cosZ /= windows;
        return new Result(rows, windows, l0 / rows, err / ((double) rows * d), err / var, (double) dead / dSae,
                cosS, cosZ, (cosS - cosZ) / (1 - cosZ));
    }

    /** The window's sentence embedding (unit length) under the hooks. */
    private static float[] embedding(BertModel model, int[] win, Hooks hooks) {
        return model.forward(new int[][]{win}, null, hooks).meanPooledNormalized(0);
    }

    /** Cosine of two unit vectors. */
    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
