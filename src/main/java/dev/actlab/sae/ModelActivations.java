package dev.actlab.sae;

import dev.actlab.model.hook.Hook;
import dev.actlab.model.hook.HookedModel;
import dev.actlab.model.hook.Hooks;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Activations streamed straight from a model while training (no store on disk): the token stream is
 * cut into windows of ctx tokens, each run with BOS prepended and a hook copying the site's rows
 * (the BOS position left out: its activation is an outlier no feature should spend capacity on).
 * Rows go into a pool of bounded size; each row handed out is drawn uniformly from the pool (with
 * a seeded generator), so consecutive rows rarely come from the same window. The stream wraps
 * around at its end (epochs are counted).
 */
public final class ModelActivations implements ActivationSource {
    private final HookedModel model;
    private final String site;
    private final int[] tokens;
    private final int ctx, width, bos;
    private final float[] pool;
    private final int capacity;
    private int size;
    private long cursor;
    private int epochs;
    private long tokensRun;
    private final SplittableRandom rnd;

    /** tokens: the text's ids without BOS; ctx: tokens per window including BOS; poolRows: rows kept for shuffling. */
    public ModelActivations(HookedModel model, String site, int[] tokens, int ctx, int poolRows, long seed) {
        if (!model.sites().names().contains(site)) throw new IllegalArgumentException("site " + site + " is not one of " + model.source() + "'s hook sites");
        if (ctx < 2 || ctx > model.contextLength()) throw new IllegalArgumentException("ctx " + ctx + " must be in [2, " + model.contextLength() + "]");
        if (tokens.length < ctx - 1) throw new IllegalArgumentException("the text has " + tokens.length + " tokens, fewer than one window of " + (ctx - 1));
        this.model = model; this.site = site; this.tokens = tokens; this.ctx = ctx;
        this.bos = model.tokenizer() == null ? -1 : model.tokenizer().bosId();
        this.width = siteWidth(model, site);
        this.capacity = Math.max(poolRows, ctx);
        this.pool = new float[(capacity + ctx) * width];
        this.rnd = new SplittableRandom(seed);
    }

    /** The width of a [pos, width] site, found by running two tokens. */
    static int siteWidth(HookedModel model, String site) {
        int[] w = {-1};
        int[] probe = model.tokenizer() != null && model.tokenizer().bosId() >= 0 ? new int[]{model.tokenizer().bosId(), 0} : new int[]{0, 0};
        model.run(probe, Hooks.of(site, a -> {
            if (a.shape.length != 2) throw new IllegalArgumentException("site " + site + " has shape " + Arrays.toString(a.shape) + ", not [pos, width]");
            w[0] = a.shape[1];
        }));
        if (w[0] < 0) throw new IllegalArgumentException("site " + site + " did not fire");
        return w[0];
    }

    /** Thrown by the hook once the site has been read: the layers after it and the unembedding are not run. */
    private static final class SiteRead extends RuntimeException {
        SiteRead() { super(null, null, false, false); }
    }

    /** Runs a window through the model only as far as the site, handing its activation to sink (the rest of the network is skipped). */
    static void runToSite(HookedModel model, int[] window, String site, Hook sink) {
        try {
            model.run(window, Hooks.of(site, a -> { sink.apply(a); throw new SiteRead(); }));
        } catch (SiteRead expected) { /* the rest of the network is not needed */ }
    }

    @Override public int width() { return width; }
    @Override public String describe() { return model.source() + " " + site + " (" + tokens.length + " text tokens, windows of " + ctx + ")"; }
    public int epochs() { return epochs; }
    /** Tokens run through the model so far (BOS included). */
    public long tokensRun() { return tokensRun; }

    @Override public void next(float[] dst, int rows) {
        for (int r = 0; r < rows; r++) {
            while (size < capacity) fill();
            int pick = rnd.nextInt(size);
            System.arraycopy(pool, pick * width, dst, r * width, width);
            size--;
            if (pick != size) System.arraycopy(pool, size * width, pool, pick * width, width);
        }
    }

    private void fill() {
        int body = ctx - (bos >= 0 ? 1 : 0);
        if (cursor + body > tokens.length) { cursor = 0; epochs++; }
        int[] window = new int[ctx];
        int p = 0;
        if (bos >= 0) window[p++] = bos;
        for (int i = 0; i < body; i++) window[p++] = tokens[(int) cursor + i];
        cursor += body;
        int skip = bos >= 0 ? 1 : 0;
        runToSite(model, window, site, a -> {
            int n = a.shape[0];
            for (int pos = skip; pos < n; pos++) System.arraycopy(a.data, a.offset + pos * width, pool, (size + pos - skip) * width, width);
        });
        size += ctx - skip;
        tokensRun += ctx;
    }
}
