package dev.actlab.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** How actlab's benchmarks report repeated rounds: the best and the median, so one noisy round neither flatters nor spoils. */
public final class BestMedian {
    private BestMedian() {}

    /** {"best": the largest of v, "median": its median}, for rates (higher is better). */
    public static Map<String, Double> of(double[] v) {
        Map<String, Double> r = new LinkedHashMap<>();
        r.put("best", Arrays.stream(v).max().orElseThrow());
        r.put("median", median(v));
        return r;
    }

    /** The middle value (the mean of the two middle ones for an even count). */
    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
