package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorExpTest {
    @Test
    void matchesMathExpWithinTwoMillionthsAndTheScalarTwinBitForBit() {
        int L = VectorExp.S.length();
        float[] x = new float[L], y = new float[L];
        double worst = 0;
        java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            for (int l = 0; l < L; l++) x[l] = (float) (i < 100_000 ? rng.nextDouble(-87, 88) : rng.nextDouble(-20, 20));
            VectorExp.exp(FloatVector.fromArray(VectorExp.S, x, 0)).intoArray(y, 0);
            for (int l = 0; l < L; l++) {
                assertEquals(Float.floatToRawIntBits(VectorExp.exp(x[l])), Float.floatToRawIntBits(y[l]), "x = " + x[l]);
                double ref = Math.exp(x[l]);
                worst = Math.max(worst, Math.abs(y[l] - ref) / ref);
            }
        }
        assertTrue(worst < 2e-7 * 2, "worst relative error " + worst);
        assertEquals(1f, VectorExp.exp(0f));
        assertTrue(VectorExp.exp(-1000f) > 0 && VectorExp.exp(-1000f) < 1e-37f);
        assertTrue(Float.isFinite(VectorExp.exp(1000f)));
    }
}
