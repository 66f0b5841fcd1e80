package dev.actlab.model.llama;

/**
 * What a decoder's MLP computes between its input x (after ffn_norm) and the down projection:
 * gated, h = act(gate x) * (up x) (SwiGLU when act is silu: Llama's); plain, h = act(up x) with no
 * gate matrix. With topK > 0 only the K entries of h with the largest magnitude are kept per token
 * (the others become 0), as in the Lazy Neuron paper (Li et al. 2023). h is the site
 * blocks.L.mlp.hook_post either way.
 *
 * In a GGUF file: actlab.mlp.activation, actlab.mlp.kind (gated|plain), actlab.mlp.topk; absent
 * means {@link #SWIGLU}, so ordinary Llama files are read as before.
 */
public record MlpSpec(MlpActivation activation, boolean gated, int topK) {
    /** Llama's MLP: silu-gated, dense. */
    public static final MlpSpec SWIGLU = new MlpSpec(MlpActivation.SILU, true, 0);

    public MlpSpec {
        if (activation == null) throw new IllegalArgumentException("MLP activation is missing");
        if (topK < 0) throw new IllegalArgumentException("MLP top-k = " + topK + " is negative");
    }

    /** Llama's own MLP (not named isX: Jackson would write it as a property of the checkpoint's config). */
    public boolean llamaDefault() { return equals(SWIGLU); }

    public String kind() { return gated ? "gated" : "plain"; }

    /** E.g. "relu gated" or "silu plain, top-64". */
    public String describe() { return activation.key() + " " + kind() + (topK > 0 ? ", top-" + topK : ""); }

    /**
     * Keeps the k entries of largest magnitude in row [from, from + width) of h and zeroes the
     * others; ties broken toward the lower index, so exactly k entries stay whatever their values.
     * keep (may be null) receives 1 for kept entries, 0 for dropped ones.
     */
    public static void topK(float[] h, int from, int width, int k, byte[] keep) {
        if (k >= width) { if (keep != null) java.util.Arrays.fill(keep, from, from + width, (byte) 1); return; }
        // the k-th largest magnitude by selection on a copy, then one pass that keeps k entries
        float[] mag = new float[width];
        for (int j = 0; j < width; j++) mag[j] = Math.abs(h[from + j]);
        float kth = select(mag, width - k);
        int above = 0;
        for (int j = 0; j < width; j++) if (Math.abs(h[from + j]) > kth) above++;
        int equalToKeep = k - above;   // entries equal to the k-th magnitude that still fit
        for (int j = 0; j < width; j++) {
            float a = Math.abs(h[from + j]);
            boolean kept = a > kth || (a == kth && equalToKeep-- > 0);
            if (!kept) h[from + j] = 0;
            if (keep != null) keep[from + j] = (byte) (kept ? 1 : 0);
        }
    }

    /** The value of rank r (0-based, ascending) of a (reordered in place); Hoare's quickselect. */
    private static float select(float[] a, int r) {
        int lo = 0, hi = a.length - 1;
        while (lo < hi) {
            float pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j) { float t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
            }
            if (r <= j) hi = j;
            else if (r >= i) lo = i;
            else return a[r];
        }
        return a[r];
    }
}
