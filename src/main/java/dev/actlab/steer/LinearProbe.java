package dev.actlab.steer;

/**
 * A multinomial logistic-regression probe: p(k | x) = softmax(W z + b)_k on the standardised
 * features z = (x - mean) / std (mean and std of the training rows). Trained on the full batch by
 * Adam for a fixed number of steps with an L2 penalty (l2 / 2) |W|^2 on the weights (not the
 * biases); deterministic: no sampling, a fixed order of sums.
 */
public final class LinearProbe {
    public static final int DEFAULT_STEPS = 300;
    public static final double DEFAULT_LR = 0.05;

    private final int classes, d;
    private final double[] mean, std;
    private final double[][] w;   // [classes][d]
    private final double[] b;

    private LinearProbe(int classes, double[] mean, double[] std, double[][] w, double[] b) {
        this.classes = classes; this.d = mean.length; this.mean = mean; this.std = std; this.w = w; this.b = b;
    }

    /** Trains on rows x[i] with labels y[i] in [0, classes). */
    public static LinearProbe train(float[][] x, int[] y, int classes, double l2, int steps, double lr) {
        int n = x.length, d = x[0].length;
        if (classes < 2) throw new IllegalArgumentException("a probe needs at least two classes, got " + classes);
        if (!(l2 >= 0)) throw new IllegalArgumentException("l2 must be >= 0, got " + l2);
        double[] mean = new double[d], std = new double[d];
        for (float[] r : x) for (int j = 0; j < d; j++) mean[j] += r[j] / (double) n;
        for (float[] r : x) for (int j = 0; j < d; j++) { double e = r[j] - mean[j]; std[j] += e * e / n; }
        for (int j = 0; j < d; j++) std[j] = Math.sqrt(std[j]) + 1e-6;
        double[][] z = new double[n][d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) z[i][j] = (x[i][j] - mean[j]) / std[j];

        double[][] w = new double[classes][d], gw = new double[classes][d], mw = new double[classes][d], vw = new double[classes][d];
        double[] b = new double[classes], gb = new double[classes], mb = new double[classes], vb = new double[classes];
        double[] p = new double[classes];
        final double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
        for (int step = 1; step <= steps; step++) {
            for (double[] g : gw) java.util.Arrays.fill(g, 0);
            java.util.Arrays.fill(gb, 0);
            for (int i = 0; i < n; i++) {
                softmax(w, b, z[i], p);
                p[y[i]] -= 1;   // d loss / d logits
                for (int k = 0; k < classes; k++) {
                    double g = p[k] / n;
                    gb[k] += g;
                    double[] gk = gw[k], zi = z[i];
                    for (int j = 0; j < d; j++) gk[j] += g * zi[j];
                }
            }
            double c1 = 1 - Math.pow(beta1, step), c2 = 1 - Math.pow(beta2, step);
            for (int k = 0; k < classes; k++) {
                for (int j = 0; j < d; j++) {
                    double g = gw[k][j] + l2 * w[k][j];
                    mw[k][j] = beta1 * mw[k][j] + (1 - beta1) * g;
                    vw[k][j] = beta2 * vw[k][j] + (1 - beta2) * g * g;
                    w[k][j] -= lr * (mw[k][j] / c1) / (Math.sqrt(vw[k][j] / c2) + eps);
                }
                mb[k] = beta1 * mb[k] + (1 - beta1) * gb[k];
                vb[k] = beta2 * vb[k] + (1 - beta2) * gb[k] * gb[k];
                b[k] -= lr * (mb[k] / c1) / (Math.sqrt(vb[k] / c2) + eps);
            }
        }
        return new LinearProbe(classes, mean, std, w, b);
    }

    /** Class probabilities of one row. */
    public double[] probabilities(float[] x) {
        double[] z = new double[d];
        for (int j = 0; j < d; j++) z[j] = (x[j] - mean[j]) / std[j];
        double[] p = new double[classes];
        softmax(w, b, z, p);
        return p;
    }

    public int classes() { return classes; }

    /** The probe as numbers: feature means and standard deviations [d], weights [classes][d], biases [classes]. */
    public double[] mean() { return mean.clone(); }
    public double[] std() { return std.clone(); }
    public double[][] weights() { double[][] c = new double[classes][]; for (int k = 0; k < classes; k++) c[k] = w[k].clone(); return c; }
    public double[] bias() { return b.clone(); }

    /** A probe from its numbers (as written by {@link ProbeFile}). */
    public static LinearProbe of(double[] mean, double[] std, double[][] weights, double[] bias) {
        int d = mean.length;
        if (std.length != d || bias.length != weights.length || weights.length < 2) throw new IllegalArgumentException("probe arrays do not fit together");
        for (double[] row : weights) if (row.length != d) throw new IllegalArgumentException("probe weights are not [classes][" + d + "]");
        double[][] w = new double[weights.length][];
        for (int k = 0; k < w.length; k++) w[k] = weights[k].clone();
        return new LinearProbe(weights.length, mean.clone(), std.clone(), w, bias.clone());
    }

    private static void softmax(double[][] w, double[] b, double[] z, double[] p) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < b.length; k++) {
            double s = b[k];
            double[] wk = w[k];
            for (int j = 0; j < z.length; j++) s += wk[j] * z[j];
            p[k] = s;
            max = Math.max(max, s);
        }
        double sum = 0;
        for (int k = 0; k < b.length; k++) { p[k] = Math.exp(p[k] - max); sum += p[k]; }
        for (int k = 0; k < b.length; k++) p[k] /= sum;
    }
}
