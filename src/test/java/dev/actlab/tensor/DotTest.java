package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The vector dot product against the scalar one and a double-precision sum, for lengths on and off the vector grid. */
class DotTest {
    @Test
    void vectorDotAgreesWithScalarForOddLengths() {
        SplittableRandom rnd = new SplittableRandom(2);
        for (int n = 0; n <= 150; n++) {
            float[] a = random(rnd, n + 5), b = random(rnd, n + 9);
            double ref = 0;
            for (int i = 0; i < n; i++) ref += (double) a[5 + i] * b[9 + i];
            assertEquals(ref, Dot.scalar(a, 5, b, 9, n), 1e-6 * (n + 1), "scalar, length " + n);
            assertEquals(ref, Dot.vector(a, 5, b, 9, n), 1e-6 * (n + 1), "vector, length " + n);
        }
    }

    /** Below one vector the vector dot is the scalar loop itself. */
    @Test
    void shortSlicesGiveTheScalarBits() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int n = 0; n < VectorExp.S.length(); n++) {
            float[] a = random(rnd, n), b = random(rnd, n);
            assertEquals(Dot.scalar(a, 0, b, 0, n), Dot.vector(a, 0, b, 0, n), 0f, "length " + n);
        }
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextDouble() * 2 - 1);
        return v;
    }
}
