package dev.actlab.model.hook;

/**
 * A read-only hook that stops the forward pass at the first site holding NaN or an infinity,
 * naming the site and the position: attach it to every site ({@link #everywhere()}) to find where
 * a non-finite value first appeared. Sites fire in forward order, so the first failure is the
 * origin. The masked entries of {@code hook_attn_scores} are -Inf by design and pass.
 */
public final class FiniteCheck implements Hook {
    private final String source;

    public FiniteCheck(String source) { this.source = source; }

    /** Hooks that check every site of a model. */
    public static Hooks everywhere(String source) { return new Hooks().add(s -> true, new FiniteCheck(source)); }

    @Override
    public void apply(Activation a) {
        boolean scores = a.name.endsWith("hook_attn_scores");
        int size = a.size();
        for (int i = 0; i < size; i++) {
            float v = a.data[a.offset + i];
            if (Float.isFinite(v) || (scores && v == Float.NEGATIVE_INFINITY)) continue;
            int position;
            String where;
            if (a.shape.length == 3 && (scores || a.name.endsWith("hook_pattern"))) {   // [heads, q_pos, k_pos]
                int n = a.shape[1], t = a.shape[2];
                position = a.startPos + (i / t) % n;
                where = "head " + i / (n * t) + ", key position " + i % t;
            } else {                                                                    // [pos, ...]
                int row = size / a.shape[0];
                position = a.startPos + i / row;
                where = "index " + i % row;
            }
            String batch = a.batchIndex == 0 ? "" : " (sequence " + a.batchIndex + " of the batch)";
            throw new NonFiniteException(source, a.name, position, NonFiniteException.describe(v) + " at " + where + batch
                    + ", the first site of the forward pass where a non-finite value appeared");
        }
    }
}
