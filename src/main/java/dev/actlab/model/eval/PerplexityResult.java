package dev.actlab.model.eval;

/**
 * Perplexity of a model over a token stream, and, against saved base logits, the numbers
 * {@code llama-perplexity --kl-divergence} prints.
 *
 * @param scoredTokens positions whose next token was scored
 * @param kl           null unless compared against base logits
 */
public record PerplexityResult(int windows, int contextLength, long scoredTokens, double meanNll, double perplexity, KlStats kl) {

    /** KL(base || model) over the scored positions, in nats, and top-1 agreement. */
    public record KlStats(double meanKl, double maxKl, double p99Kl, double medianKl, double sameTop1, double basePerplexity) {}
}
