package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The vector exp against its scalar twin (bit for bit) and against Math.exp (relative error). */
class VectorExpTest {
    @Test
    void matchesMathExpWithinTwoMillionthsAndTheScalarTwinBitForBit() {
        int L = VectorExp.S.length();
        float[] x = new float[L], y = new float[L];
        double worst = 0;
        SplittableRandom rng = new SplittableRandom(7);
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

    /** Clamped inputs and special values: the vector lanes still equal the scalar twin. */
    @Test
    void clampedAndSpecialInputsGiveTheScalarTwinsBits() {
        float[] special = {-87f, 88f, -86.9f, 87.9f, -1e30f, 1e30f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY,
                0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-30f, 0.34657359f, -0.34657359f};
        int L = VectorExp.S.length();
        float[] x = new float[L], y = new float[L];
        for (int i = 0; i < special.length; i += L) {
            for (int l = 0; l < L; l++) x[l] = special[(i + l) % special.length];
            VectorExp.exp(FloatVector.fromArray(VectorExp.S, x, 0)).intoArray(y, 0);
            for (int l = 0; l < L; l++) assertEquals(Float.floatToRawIntBits(VectorExp.exp(x[l])), Float.floatToRawIntBits(y[l]), "x = " + x[l]);
        }
        assertTrue(Float.isNaN(VectorExp.exp(Float.NaN)));
        assertTrue(Float.isNaN(VectorExp.exp(FloatVector.broadcast(VectorExp.S, Float.NaN)).lane(0)));
    }
}
