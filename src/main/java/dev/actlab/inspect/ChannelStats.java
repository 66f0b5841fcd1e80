package dev.actlab.inspect;

import com.tdunning.math.stats.MergingDigest;
import com.tdunning.math.stats.TDigest;

/**
 * Streaming statistics of one stream of scalars (one channel of a site, or all of a site's values):
 * count, mean, standard deviation, excess kurtosis, extremes, zero counts and t-digest quantiles.
 * Moments are updated one value at a time with the numerically stable single-pass formulas
 * (Welford for the variance, extended to the third and fourth central moments by Terriberry
 * and Pébay), in double precision: no catastrophic cancellation when the mean is large.
 */
public final class ChannelStats {
    private final float eps;
    private TDigest digest;   // null: quantiles come from merging other streams' digests
    private long count, zeros, nearZeros;
    private double mean, m2, m3, m4;  // running mean and sums of 2nd..4th powers of deviations
    private float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;

    /**
     * @param eps         a value counts as near zero when |x| < eps
     * @param compression t-digest size (100 is typical); 0 keeps no digest of its own (see {@link #mergeQuantiles})
     */
    public ChannelStats(float eps, double compression) {
        this.eps = eps;
        this.digest = compression > 0 ? new MergingDigest(compression) : null;
    }

    public void add(float x) {
        long n1 = count;
        long n = ++count;
        double delta = x - mean;
        double deltaN = delta / n;
        double deltaN2 = deltaN * deltaN;
        double term1 = delta * deltaN * n1;
        mean += deltaN;
        m4 += term1 * deltaN2 * ((double) n * n - 3.0 * n + 3) + 6 * deltaN2 * m2 - 4 * deltaN * m3;
        m3 += term1 * deltaN * (n - 2) - 3 * deltaN * m2;
        m2 += term1;
        if (x < min) min = x;
        if (x > max) max = x;
        if (x == 0f) zeros++;
        if (Math.abs(x) < eps) nearZeros++;
        if (digest != null) digest.add(x);
    }

    /**
     * Takes its quantiles from the union of other streams' digests (a site's quantiles from its
     * channels': one digest update per value instead of two). The parts must hold the same values.
     */
    public void mergeQuantiles(ChannelStats[] parts, double compression) {
        MergingDigest merged = new MergingDigest(compression);
        for (ChannelStats p : parts) if (p.digest != null && p.count > 0) merged.add(p.digest);
        this.digest = merged;
    }

    public long count() { return count; }
    public double mean() { return count == 0 ? Double.NaN : mean; }
    /** Population standard deviation (divides by n). */
    public double std() { return count == 0 ? Double.NaN : Math.sqrt(m2 / count); }
    /** Excess kurtosis n·M4 / M2² − 3 (0 for a Gaussian); NaN when all values are equal. */
    public double kurtosis() { return m2 == 0 ? Double.NaN : count * m4 / (m2 * m2) - 3; }
    public float min() { return min; }
    public float max() { return max; }
    public float maxAbs() { return count == 0 ? Float.NaN : Math.max(Math.abs(min), Math.abs(max)); }
    public long zeros() { return zeros; }
    public long nearZeros() { return nearZeros; }
    public double zeroFraction() { return count == 0 ? Double.NaN : (double) zeros / count; }
    public double nearZeroFraction() { return count == 0 ? Double.NaN : (double) nearZeros / count; }
    public float eps() { return eps; }

    /** Approximate quantile (t-digest), q in [0, 1]. */
    public double quantile(double q) { return count == 0 || digest == null ? Double.NaN : digest.quantile(q); }
}
