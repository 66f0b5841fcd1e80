package dev.actlab.quant;

/**
 * The rank a ratio r in (0, 1] buys for a [rows, cols] matrix. r is the fraction of the matrix's dense
 * parameters kept: the budget is r * rows * cols numbers, and the matrix is stored whichever way is
 * smaller, dense (rows * cols numbers, full rank) or factored (k * (rows + cols) numbers, rank k). So
 * r = 1 keeps the dense matrix (full rank, nothing lost), and r < 1 keeps the largest k with
 * k (rows + cols) <= r rows cols, at least 1. SVD-LLM sets ranks the same way (its "compression ratio"
 * is 1 - r, the fraction removed). The rank falls fast: a square matrix at r = 0.5 keeps a quarter of it.
 */
public final class LowRankBudget {
    private LowRankBudget() {}

    public static void check(double ratio) {
        if (!(ratio > 0 && ratio <= 1)) throw new IllegalArgumentException("rank ratio must be in (0, 1], got " + ratio);
    }

    public static int rank(double ratio, int rows, int cols) {
        check(ratio);
        int full = Math.min(rows, cols);
        if (ratio >= 1) return full;
        long k = (long) Math.floor(ratio * rows * (double) cols / (rows + cols));
        return (int) Math.max(1, Math.min(full, k));
    }

    /** Numbers stored at rank k: the smaller of the dense and the factored form. */
    public static long parameters(int k, int rows, int cols) {
        return Math.min((long) rows * cols, (long) k * (rows + cols));
    }
}
