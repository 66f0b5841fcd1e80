package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The vector zero count equals the scalar one: both zero signs count, NaN does not, any range. */
class ZeroCountTest {
    @Test
    void countsExactZerosOfEitherSignInAnyRange() {
        float[] x = SoftmaxTest.random(1000, 7, 1);
        for (int i = 0; i < x.length; i += 3) x[i] = (i % 2 == 0) ? 0f : -0f;
        x[5] = Float.NaN; x[8] = Float.MIN_VALUE; x[11] = -Float.MIN_VALUE;
        for (int[] r : new int[][]{{0, 1000}, {1, 999}, {3, 20}, {17, 17}, {0, 15}, {500, 1000}}) {
            int want = 0;
            for (int i = r[0]; i < r[1]; i++) if (Float.floatToRawIntBits(x[i]) << 1 == 0) want++;
            assertEquals(want, ZeroCount.countScalar(x, r[0], r[1]), "scalar " + r[0] + ".." + r[1]);
            assertEquals(want, ZeroCount.count(x, r[0], r[1]), "vector " + r[0] + ".." + r[1]);
        }
    }
}
