package dev.actlab.inspect;

/** The plain reference: statistics of x[off + i * stride], i < n, computed in two passes in double. */
record TwoPass(long count, double mean, double std, double kurtosis, float min, float max, float maxAbs, long zeros, long nearZeros) {
    static TwoPass of(float[] x, int off, int n, int stride, float eps) {
        double sum = 0;
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        long zeros = 0, near = 0;
        for (int i = 0; i < n; i++) {
            float v = x[off + i * stride];
            sum += v;
            min = Math.min(min, v);
            max = Math.max(max, v);
            if (v == 0f) zeros++;
            if (Math.abs(v) < eps) near++;
        }
        double mean = sum / n, s2 = 0, s4 = 0;
        for (int i = 0; i < n; i++) {
            double d = x[off + i * stride] - mean;
            s2 += d * d;
            s4 += d * d * d * d;
        }
        double kurt = s2 == 0 ? Double.NaN : n * s4 / (s2 * s2) - 3;
        return new TwoPass(n, mean, Math.sqrt(s2 / n), kurt, min, max, Math.max(Math.abs(min), Math.abs(max)), zeros, near);
    }
}
