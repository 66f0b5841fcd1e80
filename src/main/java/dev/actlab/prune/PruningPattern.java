package dev.actlab.prune;

import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.quant.Linear;
import java.util.Arrays;
import java.util.Locale;

/**
 * Which entries of a weight row may be zeroed: unstructured (the given fraction of each row, wherever
 * the scores are lowest) or N:M (N non-zeros kept in every run of M consecutive inputs of a row, the
 * layout 2:4 sparse tensor cores run). Rows are rows of the GGUF matrix [out, in]: one output unit each.
 * Ties between equal scores go to the lower input index (pruned first), so a mask is fully determined by its scores.
 *
 * @param sparsity the pruned fraction, in [0, 1); for N:M it is 1 - N/M
 * @param n        kept per group (0 when unstructured)
 * @param m        group length (0 when unstructured)
 */
public record PruningPattern(double sparsity, int n, int m) {
    public PruningPattern {
        if (!(sparsity >= 0 && sparsity < 1)) throw new IllegalArgumentException("--sparsity must be in [0, 1), got " + sparsity);
        if (m != 0 && (n < 1 || n >= m || m > 64))
            throw new IllegalArgumentException("--nm must be N:M with 0 < N < M <= 64 (e.g. 2:4), got " + n + ":" + m);
    }

    public static PruningPattern unstructured(double sparsity) { return new PruningPattern(sparsity, 0, 0); }

    /** "2:4" to an N:M pattern (sparsity 1 - N/M). */
    public static PruningPattern nm(String spec) {
        String[] p = spec.trim().split(":");
        int n, m;
        try {
            if (p.length != 2) throw new NumberFormatException();
            n = Integer.parseInt(p[0].trim());
            m = Integer.parseInt(p[1].trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--nm must be N:M with 0 < N < M (e.g. 2:4 or 4:8), got '" + spec + "'");
        }
        if (n < 1 || n >= m) throw new IllegalArgumentException("--nm must be N:M with 0 < N < M (e.g. 2:4 or 4:8), got '" + spec + "'");
        return new PruningPattern(1 - (double) n / m, n, m);
    }

    public boolean isNm() { return m > 0; }

    /** "50% unstructured" or "2:4". */
    public String label() { return isNm() ? n + ":" + m : String.format(Locale.ROOT, "%.0f%% unstructured", 100 * sparsity); }

    /** Refuses a model with a projection whose input count is not a multiple of M. */
    public void check(LlamaConfig c) {
        if (!isNm()) return;
        for (Linear lin : Linear.values())
            if (lin.cols(c) % m != 0) throw new IllegalArgumentException("--nm " + n + ":" + m + ": " + lin + " has " + lin.cols(c) + " inputs, not a multiple of " + m);
    }

    /** Entries pruned among the first `cols` inputs of a row (unstructured): round(sparsity * cols). */
    public int prunedIn(int cols) { return (int) Math.round(sparsity * cols); }

    /**
     * Marks in pruned[from : from + len] the `count` entries with the lowest score[from : from + len]
     * (ties: lower index first); clears the other marks of that range.
     */
    public static void lowest(double[] score, int from, int len, int count, boolean[] pruned) {
        if (len <= 16) {                                     // N:M groups: an insertion sort, no boxing (2:4 of a 110M model is 20M groups)
            int[] idx = new int[len];
            for (int i = 0; i < len; i++) {
                int j = i;
                while (j > 0 && Double.compare(score[idx[j - 1]], score[from + i]) > 0) { idx[j] = idx[j - 1]; j--; }
                idx[j] = from + i;
            }
            for (int i = 0; i < len; i++) pruned[idx[i]] = i < count;
            return;
        }
        Integer[] idx = new Integer[len];
        for (int i = 0; i < len; i++) idx[i] = from + i;
        Arrays.sort(idx, (a, b) -> { int c = Double.compare(score[a], score[b]); return c != 0 ? c : Integer.compare(a, b); });
        for (int i = 0; i < len; i++) pruned[idx[i]] = i < count;
    }

    /** The mask of one whole row from its scores [cols]: the lowest fraction, or M - N lowest of every group. */
    public boolean[] select(double[] score, int cols) {
        boolean[] pruned = new boolean[cols];
        if (isNm()) for (int g = 0; g < cols; g += m) lowest(score, g, m, m - n, pruned);
        else lowest(score, 0, cols, prunedIn(cols), pruned);
        return pruned;
    }
}
