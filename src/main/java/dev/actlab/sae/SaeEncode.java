package dev.actlab.sae;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.tensor.Parallel;
import java.util.Arrays;

/**
 * The feature activations of every token of a text: the text is cut into windows of ctx tokens
 * (BOS first when the model has one, as in training and {@link SaeEval}; the BOS row is not
 * encoded), the model runs each with a hook copying the SAE's site, and the SAE encodes the rows.
 * Unlike evaluation, the last, shorter window is kept, so every token gets a code.
 */
public final class SaeEncode {
    /**
     * @param tokens    the text's ids, one per row of code
     * @param positions each token's position in the window it ran in (BOS, when there is one, at 0)
     * @param code      [tokens.length rows]: each row's active latents, largest activation first (ties: lower latent first)
     */
    public record Result(int[] tokens, int[] positions, SparseCode code) {}

    private SaeEncode() {}

    /** tokens: the text's ids without BOS. */
    public static Result run(HookedModel model, Sae sae, int[] tokens, int ctx, Parallel par, Progress progress) {
        String site = sae.cfg.hookName();
        if (!model.sites().names().contains(site)) throw new IllegalArgumentException("the SAE reads " + site + ", which " + model.source() + " does not have");
        int width = ModelActivations.siteWidth(model, site), d = sae.dIn();
        if (width != d) throw new IllegalArgumentException(site + " of " + model.source() + " is " + width + " wide, the SAE's d_in is " + d);
        if (ctx < 2 || ctx > model.contextLength()) throw new IllegalArgumentException("ctx " + ctx + " must be in [2, " + model.contextLength() + "]");
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens to encode");
        int bos = model.tokenizer() == null ? -1 : model.tokenizer().bosId();
        int skip = bos >= 0 ? 1 : 0, body = ctx - skip;
        int windows = (tokens.length + body - 1) / body;
        SparseCode code = new SparseCode(tokens.length);
        int[] positions = new int[tokens.length];
        for (int w = 0; w < windows; w++) {
            int from = w * body, n = Math.min(body, tokens.length - from);
            int[] win = new int[n + skip];
            if (skip == 1) win[0] = bos;
            System.arraycopy(tokens, from, win, skip, n);
            float[] x = new float[n * d];
            ModelActivations.runToSite(model, win, site, a -> System.arraycopy(a.data, a.offset + skip * d, x, 0, n * d));
            SparseCode c = sae.encode(x, n, par);
            for (int r = 0; r < n; r++) {
                sortByValue(c.indices(r), c.values(r));
                code.setRow(from + r, c.indices(r), c.values(r));
                positions[from + r] = r + skip;
            }
            progress.update(w + 1, windows);
        }
        return new Result(tokens.clone(), positions, code);
    }

    /** Sorts a row's latents by activation, largest first, ties to the lower latent (in place). */
    static void sortByValue(int[] idx, float[] val) {
        Integer[] order = new Integer[idx.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> val[a] != val[b] ? Float.compare(val[b], val[a]) : Integer.compare(idx[a], idx[b]));
        int[] i2 = new int[idx.length];
        float[] v2 = new float[val.length];
        for (int i = 0; i < order.length; i++) { i2[i] = idx[order[i]]; v2[i] = val[order[i]]; }
        System.arraycopy(i2, 0, idx, 0, idx.length);
        System.arraycopy(v2, 0, val, 0, val.length);
    }
}
