package dev.actlab.steer;

/**
 * A mass-mean probe (Marks and Tegmark 2023): the class means of the training rows, nothing
 * learned beyond them. Class k scores x . mu_k - |mu_k|^2 / 2 (nearest class mean); for two
 * classes this is the projection on mu_1 - mu_0 thresholded half way between the means.
 */
public final class MassMeanProbe {
    private final double[][] mu;    // [classes][d]
    private final double[] offset;  // |mu_k|^2 / 2

    private MassMeanProbe(double[][] mu) {
        this.mu = mu;
        this.offset = new double[mu.length];
        for (int k = 0; k < mu.length; k++) {
            double s = 0;
            for (double v : mu[k]) s += v * v;
            offset[k] = s / 2;
        }
    }

    public static MassMeanProbe train(float[][] x, int[] y, int classes) {
        int d = x[0].length;
        double[][] mu = new double[classes][d];
        int[] count = new int[classes];
        for (int i = 0; i < x.length; i++) {
            count[y[i]]++;
            for (int j = 0; j < d; j++) mu[y[i]][j] += x[i][j];
        }
        for (int k = 0; k < classes; k++) {
            if (count[k] == 0) throw new IllegalArgumentException("class " + k + " has no training rows");
            for (int j = 0; j < d; j++) mu[k][j] /= count[k];
        }
        return new MassMeanProbe(mu);
    }

    /** The class means [classes][d]. */
    public double[][] means() { double[][] c = new double[mu.length][]; for (int k = 0; k < mu.length; k++) c[k] = mu[k].clone(); return c; }

    /** A probe from its class means (as written by {@link ProbeFile}). */
    public static MassMeanProbe of(double[][] means) {
        double[][] c = new double[means.length][];
        for (int k = 0; k < c.length; k++) c[k] = means[k].clone();
        return new MassMeanProbe(c);
    }

    /** One score per class; the highest wins. */
    public double[] scores(float[] x) {
        double[] s = new double[mu.length];
        for (int k = 0; k < mu.length; k++) {
            double dot = 0;
            for (int j = 0; j < x.length; j++) dot += mu[k][j] * x[j];
            s[k] = dot - offset[k];
        }
        return s;
    }
}
