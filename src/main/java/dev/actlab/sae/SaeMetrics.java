package dev.actlab.sae;

/** Reconstruction figures the field reports. */
public final class SaeMetrics {
    private SaeMetrics() {}

    /** Fraction of variance unexplained: sum |x - x_hat|^2 / sum |x - mean(x)|^2 over rows x [n, d]. */
    public static double fvu(float[] x, float[] xHat, int n, int d) {
        double[] mean = new double[d];
        for (int r = 0; r < n; r++) for (int j = 0; j < d; j++) mean[j] += x[r * d + j];
        double err = 0, var = 0;
        for (int r = 0; r < n; r++)
            for (int j = 0; j < d; j++) {
                double e = x[r * d + j] - xHat[r * d + j], v = x[r * d + j] - mean[j] / n;
                err += e * e; var += v * v;
            }
        return err / var;
    }

    /** Mean squared error per element. */
    public static double mse(float[] x, float[] xHat) {
        double err = 0;
        for (int i = 0; i < x.length; i++) { double e = x[i] - xHat[i]; err += e * e; }
        return err / x.length;
    }
}
