package dev.actlab.model.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model Q against its base on the same scored tokens, with the definitions llama-perplexity
 * --kl-divergence uses: per-token KL(base || Q) in nats (mean with its standard error, median,
 * percentiles, max), "same top p" (how often the two argmax tokens agree, with its binomial
 * standard error), RMS of the change in the probability of the correct token (with its standard
 * error), and ln(PPL(Q) / PPL(base)) (the mean per-token difference of the two losses, with its
 * standard error).
 */
public record QuantizationStats(long scoredTokens, double perplexity, double basePerplexity,
                                double lnPplRatio, double lnPplRatioError,
                                double meanKld, double meanKldError, double medianKld,
                                double p90Kld, double p95Kld, double p99Kld, double p999Kld, double maxKld,
                                double sameTop, double sameTopError, double rmsDeltaP, double rmsDeltaPError) {

    /** The JSON fields, with self-explaining keys. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scored_tokens", scoredTokens);
        m.put("perplexity", perplexity);
        m.put("base_perplexity", basePerplexity);
        m.put("perplexity_ratio", perplexity / basePerplexity);
        m.put("ln_ppl_ratio", lnPplRatio);
        m.put("ln_ppl_ratio_stderr", lnPplRatioError);
        m.put("mean_kld", meanKld);
        m.put("mean_kld_stderr", meanKldError);
        m.put("median_kld", medianKld);
        m.put("p90_kld", p90Kld);
        m.put("p95_kld", p95Kld);
        m.put("p99_kld", p99Kld);
        m.put("p99_9_kld", p999Kld);
        m.put("max_kld", maxKld);
        m.put("same_top_p", sameTop);
        m.put("same_top_p_stderr", sameTopError);
        m.put("rms_delta_p", rmsDeltaP);
        m.put("rms_delta_p_stderr", rmsDeltaPError);
        return m;
    }

    /** The lines llama-perplexity prints, in its order and wording. */
    public String table() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("Mean PPL(Q)                   : %10.4f%n", perplexity));
        b.append(String.format("Mean PPL(base)                : %10.4f%n", basePerplexity));
        b.append(String.format("Mean ln(PPL(Q)/PPL(base))     : %10.6f ± %10.6f%n", lnPplRatio, lnPplRatioError));
        b.append(String.format("Mean PPL(Q)/PPL(base)         : %10.6f%n", perplexity / basePerplexity));
        b.append(String.format("Mean    KLD: %10.6f ± %10.6f%n", meanKld, meanKldError));
        b.append(String.format("Maximum KLD: %10.6f%n", maxKld));
        b.append(String.format("99.9%%   KLD: %10.6f%n", p999Kld));
        b.append(String.format("99.0%%   KLD: %10.6f%n", p99Kld));
        b.append(String.format("95.0%%   KLD: %10.6f%n", p95Kld));
        b.append(String.format("90.0%%   KLD: %10.6f%n", p90Kld));
        b.append(String.format("Median  KLD: %10.6f%n", medianKld));
        b.append(String.format("RMS Δp    : %7.3f ± %6.3f %%%n", 100 * rmsDeltaP, 100 * rmsDeltaPError));
        b.append(String.format("Same top p: %7.3f ± %6.3f %%%n", 100 * sameTop, 100 * sameTopError));
        return b.toString();
    }
}
