package dev.actlab.sae;

import dev.actlab.capture.ActivationStore;
import java.io.IOException;

/** Rows of one site of a capture store in a seeded shuffle of the whole store, reshuffled (next seed) at each epoch. */
public final class StoreActivations implements ActivationSource {
    private final ActivationStore store;
    private final String site;
    private final int width;
    private final long seed;
    private long[] order;
    private int cursor, epochs;

    public StoreActivations(ActivationStore store, String site, long seed) {
        this.store = store; this.site = site; this.seed = seed;
        this.width = store.manifest().site(site).width();
        if (store.rows() == 0) throw new IllegalArgumentException(store.dir() + " holds no rows");
        this.order = store.shuffledOrder(seed);
    }

    @Override public int width() { return width; }
    @Override public String describe() { return store.dir() + " " + site + " (" + store.rows() + " rows)"; }
    public int epochs() { return epochs; }

    @Override public void next(float[] dst, int rows) throws IOException {
        for (int r = 0; r < rows; r++) {
            if (cursor == order.length) { epochs++; order = store.shuffledOrder(seed + epochs); cursor = 0; }
            store.row(site, order[cursor++], dst, r * width);
        }
    }
}
