package dev.actlab.sparsity;

/**
 * R-Sparse's budget (Zhang et al. 2025): at weight sparsity s a linear layer [rows, cols] may read (1 - s) rows
 * cols weights per token. A share alpha of that goes to the sparse part, the full columns of the kept inputs
 * (activation sparsity a = 1 - (1 - s) alpha), the rest to the low-rank part, r (rows + cols) weights:
 * r = floor((a - s) rows cols / (rows + cols)). alpha = 1 is plain (WINA-ranked) activation sparsity at s.
 * The paper searches alpha per layer (evolutionary search); here it is one value for all layers.
 */
public final class RankAware {
    private RankAware() {}

    /** alpha, the share of the budget for the sparse part: a fixed default, not searched (README, "R-Sparse"). */
    public static final double SPARSE_SHARE = 0.8;
    /** Thresholds are quantiles below 1. */
    static final double MAX_ACTIVATION_SPARSITY = 0.99;

    public static double activationSparsity(double s, double alpha) { return 1 - (1 - s) * alpha; }

    /** The rank the budget leaves for a [rows, cols] matrix at weight sparsity s and activation sparsity a (0 if none). */
    public static int rank(double s, double a, int rows, int cols) {
        if (!(a > s)) return 0;
        return (int) Math.min(Math.min(rows, cols), Math.floor((a - s) * rows * (double) cols / (rows + cols)));
    }
}
