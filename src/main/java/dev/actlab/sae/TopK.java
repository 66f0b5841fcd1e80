package dev.actlab.sae;

/**
 * The k largest of a row of pre-activations, kept when positive (ReLU after TopK, as OpenAI's and
 * SAELens' TopK SAEs do). Ties go to the lower index, so the choice is deterministic.
 */
final class TopK {
    private TopK() {}

    /** Writes the chosen latents (by descending value) into idx/val; returns how many (at most k). */
    static int select(float[] pre, int off, int n, int k, int[] idx, float[] val) {
        k = Math.min(k, n);
        int m = 0;   // a sorted (descending) list of the best so far, insertion into it
        for (int i = 0; i < n; i++) {
            float v = pre[off + i];
            if (!(v > 0)) continue;
            if (m == k && !(v > val[k - 1])) continue;
            int p = m == k ? k - 1 : m++;
            while (p > 0 && v > val[p - 1]) { val[p] = val[p - 1]; idx[p] = idx[p - 1]; p--; }
            val[p] = v; idx[p] = i;
        }
        return m;
    }

    /** As {@link #select} but only over the candidates whose mask is true. */
    static int selectMasked(float[] pre, int off, int n, int k, boolean[] mask, int[] idx, float[] val) {
        k = Math.min(k, n);
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (!mask[i]) continue;
            float v = pre[off + i];
            if (!(v > 0)) continue;
            if (m == k && !(v > val[k - 1])) continue;
            int p = m == k ? k - 1 : m++;
            while (p > 0 && v > val[p - 1]) { val[p] = val[p - 1]; idx[p] = idx[p - 1]; p--; }
            val[p] = v; idx[p] = i;
        }
        return m;
    }
}
