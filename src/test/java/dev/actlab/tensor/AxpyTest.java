package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** y += alpha x: the vector loop gives the scalar loop's bits, and touches nothing outside the slice. */
class AxpyTest {
    @Test
    void vectorGivesTheScalarBitsForEveryLength() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (int n = 0; n <= 70; n++) {
            float[] x = DotTest.random(rnd, n + 3), y = DotTest.random(rnd, n + 7);
            float alpha = (float) rnd.nextGaussian();
            float[] viaScalar = y.clone(), viaVector = y.clone();
            Axpy.scalar(alpha, x, 3, viaScalar, 5, n);
            Axpy.vector(alpha, x, 3, viaVector, 5, n);
            assertArrayEquals(viaScalar, viaVector, "length " + n);
            for (int i = 0; i < y.length; i++)
                if (i < 5 || i >= 5 + n) assertEquals(y[i], viaVector[i], 0f, "outside the slice at " + i);
                else assertEquals(y[i] + alpha * x[3 + i - 5], viaVector[i], 0f, "at " + i);
        }
    }
}
