package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** GELU against the error-function definition in double, and the vector lanes against the scalar twin. */
class GeluKernelTest {
    static float[] random(int n, long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return x;
    }

    /**
     * erf in double: Taylor series for |x| < 2 (terms stay below e^4, about 1e-14 lost), else
     * 1 - erfc by its continued fraction erfc(x) = e^(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / ...))).
     */
    static double erf(double x) {
        if (Math.abs(x) >= 2) {
            double a = Math.abs(x), f = a;
            for (int n = 300; n >= 1; n--) f = a + (n / 2.0) / f;
            return Math.signum(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f);
        }
        double sum = 0, term = x;
        for (int n = 0; n < 200; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    @Test void geluMatchesErfDefinition() {
        float[] x = random(10_007, 2, 8);
        x[0] = 0; x[1] = -0f; x[2] = 20; x[3] = -20;
        float[] y = x.clone();
        GeluKernel.apply(y, 0, y.length);
        for (int i = 0; i < x.length; i++) {
            double ref = 0.5 * x[i] * (1 + erf(x[i] / Math.sqrt(2)));
            assertEquals(ref, y[i], 2e-7 * Math.max(1, Math.abs(x[i])), "gelu(" + x[i] + ")");
            assertEquals(GeluKernel.scalar(x[i]), y[i], "vector and scalar gelu give the same bits at " + x[i]);
        }
    }


    /** A range that starts and ends off the vector grid: everything outside stays, everything inside is the scalar twin's bits. */
    @Test void rangesOffTheVectorGridGiveTheScalarTwinsBits() {
        float[] x = random(203, 3, 6);
        float[] y = x.clone();
        GeluKernel.apply(y, 5, 198);
        for (int i = 0; i < x.length; i++)
            assertEquals(Float.floatToRawIntBits(i < 5 || i >= 198 ? x[i] : GeluKernel.scalar(x[i])), Float.floatToRawIntBits(y[i]), "at " + i);
    }
}
