package dev.actlab.sae;

import dev.actlab.tensor.TopKSelect;

/**
 * The k largest of a row of pre-activations, kept when positive (ReLU after TopK, as OpenAI's and
 * SAELens' TopK SAEs do). Ties go to the lower index, so the choice is deterministic.
 */
final class TopK {
    private TopK() {}

    /** Writes the chosen latents (by descending value) into idx/val; returns how many (at most k). */
    static int select(float[] pre, int off, int n, int k, int[] idx, float[] val) {
        return TopKSelect.vector(pre, off, n, k, idx, val);   // a threshold pass, then insertion of the few entries above it
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

    /**
     * The k-th largest positive value among a[0, n) (k >= 1; there must be at least k positives):
     * positive floats order as their bit patterns do, so two 16-bit histogram passes find it exactly.
     */
    static float kthLargestPositive(float[] a, int n, long k) {
        int[] hist = new int[1 << 16];
        for (int i = 0; i < n; i++) if (a[i] > 0) hist[Float.floatToRawIntBits(a[i]) >>> 16]++;
        int high = hist.length - 1;
        while (k > hist[high]) k -= hist[high--];
        java.util.Arrays.fill(hist, 0);
        for (int i = 0; i < n; i++) {
            int b = Float.floatToRawIntBits(a[i]);
            if (a[i] > 0 && b >>> 16 == high) hist[b & 0xffff]++;
        }
        int low = hist.length - 1;
        while (k > hist[low]) k -= hist[low--];
        return Float.intBitsToFloat(high << 16 | low);
    }
}
