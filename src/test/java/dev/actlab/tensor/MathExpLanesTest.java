package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** MathExpLanes against its reference, (float) Math.exp per element, bit for bit; and its vector path is the one taken. */
class MathExpLanesTest {

    /** Every 997th float bit pattern (both signs, all exponents), the range ends, specials, and random softmax-like arguments. */
    @Test
    void expShiftedGivesTheBitsOfMathExp() {
        SplittableRandom rnd = new SplittableRandom(11);
        float[] special = {0f, -0f, 1f, -1f, -87f, 88f, Math.nextDown(-87f), Math.nextUp(88f), -88.7f, 88.7f, -104f, 89f,
                Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE};
        int n = (int) (0x1_0000_0000L / 997) + special.length + 1_000_000;
        float[] x = new float[n];
        int i = 0;
        for (long b = 0; b < 0x1_0000_0000L && i < n; b += 997) x[i++] = Float.intBitsToFloat((int) b);
        for (float s : special) x[i++] = s;
        while (i < n) x[i++] = (float) (-30 * rnd.nextDouble());
        for (float shift : new float[]{0f, 2.5f, -7f}) {
            float[] lanes = x.clone();
            MathExpLanes.expShifted(lanes, 0, n, shift);
            for (int j = 0; j < n; j++) {
                float want = MathExpLanes.expScalar(x[j] - shift);
                if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(lanes[j]))
                    fail("exp(" + x[j] + " - " + shift + "): lanes " + lanes[j] + ", Math.exp " + want);
            }
        }
        // an odd offset and length: the scalar tail
        float[] part = x.clone();
        MathExpLanes.expShifted(part, 3, 1001, 1f);
        for (int j = 0; j < n; j++) {
            float want = j >= 3 && j < 1004 ? MathExpLanes.expScalar(x[j] - 1f) : x[j];
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(part[j]), "index " + j);
        }
    }

    /** Gate values over the range SiLU meets and beyond it (exp(-g) overflowing or subnormal), ragged ranges. */
    @Test
    void siluTimesGivesTheBitsOfTheScalarExpression() {
        SplittableRandom rnd = new SplittableRandom(12);
        int n = 1 << 20;
        float[] gate = new float[n], up = new float[n];
        for (int i = 0; i < n; i++) {
            double scale = i % 64 == 0 ? 200 : 12;
            gate[i] = (float) (scale * (2 * rnd.nextDouble() - 1));
            up[i] = (float) (4 * rnd.nextDouble() - 2);
        }
        gate[5] = Float.NaN; gate[6] = -0f; gate[7] = Float.POSITIVE_INFINITY; gate[8] = Float.NEGATIVE_INFINITY;
        for (int[] r : new int[][]{{0, n}, {1, n - 3}, {17, 530}}) {
            float[] lanes = gate.clone(), scalar = gate.clone();
            MathExpLanes.siluTimes(lanes, up, r[0], r[1]);
            MathExpLanes.siluTimesScalar(scalar, up, r[0], r[1]);
            for (int i = 0; i < n; i++)
                if (Float.floatToRawIntBits(scalar[i]) != Float.floatToRawIntBits(lanes[i]))
                    fail("silu(" + gate[i] + ") * " + up[i] + ": lanes " + lanes[i] + ", scalar " + scalar[i] + " (range " + r[0] + ".." + r[1] + ")");
        }
    }

    /** The guard sends a vector to the scalar expression rarely: otherwise the tests above would only test the fallback. */
    @Test
    void vectorPathIsTakenForInRangeArguments() {
        SplittableRandom rnd = new SplittableRandom(13);
        int lanes = MathExpLanes.L, vectors = 100_000, fallbacks = 0;
        float[] x = new float[lanes], e = new float[lanes];
        for (int v = 0; v < vectors; v++) {
            for (int i = 0; i < lanes; i++) x[i] = (float) (-40 * rnd.nextDouble() + 10);
            if (!MathExpLanes.lanes(x, 0, 1f, 0f, e, 0)) { fallbacks++; continue; }
            for (int i = 0; i < lanes; i++) assertEquals(Float.floatToRawIntBits(MathExpLanes.expScalar(x[i])), Float.floatToRawIntBits(e[i]), "exp(" + x[i] + ")");
        }
        assertTrue(fallbacks < vectors / 1000, fallbacks + " of " + vectors + " vectors went scalar");
    }
}
