package dev.actlab.sae;

/** The geometric median of rows (the point minimising the sum of Euclidean distances), by Weiszfeld's iteration from the mean. */
final class GeometricMedian {
    private GeometricMedian() {}

    static float[] of(float[] x, int n, int d, int iterations) {
        double[] y = new double[d];
        for (int r = 0; r < n; r++) for (int j = 0; j < d; j++) y[j] += x[r * d + j];
        for (int j = 0; j < d; j++) y[j] /= n;
        for (int it = 0; it < iterations; it++) {
            double[] num = new double[d];
            double den = 0;
            for (int r = 0; r < n; r++) {
                double q = 0;
                for (int j = 0; j < d; j++) { double e = x[r * d + j] - y[j]; q += e * e; }
                double w = 1 / Math.max(Math.sqrt(q), 1e-8);
                for (int j = 0; j < d; j++) num[j] += w * x[r * d + j];
                den += w;
            }
            for (int j = 0; j < d; j++) y[j] = num[j] / den;
        }
        float[] out = new float[d];
        for (int j = 0; j < d; j++) out[j] = (float) y[j];
        return out;
    }
}
