package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * Compares an analytic gradient with central finite differences (f(x + e) - f(x - e)) / 2e,
 * element by element: |numeric - analytic| <= rtol * |analytic| + atol * max|analytic|.
 */
final class GradCheck {
    private GradCheck() {}

    /** Checks up to samples elements of x (all when samples >= x.length); returns the worst relative error seen. */
    static double check(String name, float[] x, float[] analytic, DoubleSupplier loss, float eps,
                        double rtol, double atol, int samples, long seed) {
        double maxAna = 0;
        for (float g : analytic) maxAna = Math.max(maxAna, Math.abs(g));
        assertTrue(maxAna > 0, name + ": analytic gradient is all zero, the check would prove nothing");
        SplittableRandom rng = new SplittableRandom(seed);
        int n = Math.min(samples, x.length);
        double worst = 0;
        for (int s = 0; s < n; s++) {
            int i = samples >= x.length ? s : rng.nextInt(x.length);
            float orig = x[i];
            x[i] = orig + eps;
            double up = loss.getAsDouble();
            x[i] = orig - eps;
            double down = loss.getAsDouble();
            x[i] = orig;
            double numeric = (up - down) / ((double) (orig + eps) - (double) (orig - eps));   // the step actually taken
            double err = Math.abs(numeric - analytic[i]);
            worst = Math.max(worst, err / Math.max(Math.abs(analytic[i]), atol * maxAna));
            assertTrue(err <= rtol * Math.abs(analytic[i]) + atol * maxAna,
                    name + "[" + i + "]: numeric " + numeric + " vs analytic " + analytic[i] + " (max |grad| " + maxAna + ")");
        }
        return worst;
    }

    static float[] gaussian(int n, double std, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * std);
        return v;
    }

    /** sum_i out[i] * proj[i] in double: a scalar loss whose gradient wrt out is proj. */
    static double project(float[] out, float[] proj) {
        double s = 0;
        for (int i = 0; i < out.length; i++) s += (double) out[i] * proj[i];
        return s;
    }
}
