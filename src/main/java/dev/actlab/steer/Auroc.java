package dev.actlab.steer;

import java.util.Arrays;

/** Area under the ROC curve: P(a random positive scores higher than a random negative), ties counting half. */
public final class Auroc {
    private Auroc() {}

    public static double of(double[] positives, double[] negatives) {
        if (positives.length == 0 || negatives.length == 0) return Double.NaN;
        double[] q = negatives.clone();
        Arrays.sort(q);
        double wins = 0;
        for (double x : positives) {
            int lo = bound(q, x, false), hi = bound(q, x, true);
            wins += lo + 0.5 * (hi - lo);
        }
        return wins / ((double) positives.length * q.length);
    }

    /** The first index whose value is >= x (or > x when strict). */
    private static int bound(double[] a, double x, boolean strict) {
        int lo = 0, hi = a.length;
        while (lo < hi) {
            int m = (lo + hi) >>> 1;
            if (strict ? a[m] <= x : a[m] < x) lo = m + 1; else hi = m;
        }
        return lo;
    }
}
