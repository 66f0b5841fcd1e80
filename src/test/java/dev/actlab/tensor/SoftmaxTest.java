package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The softmax kernels against their double-precision definitions, and their element-wise parts against scalar arithmetic. */
class SoftmaxTest {
    private static final int[] LENGTHS = {1, 2, 7, 8, 15, 16, 17, 31, 33, 64, 100, 257, 4096};

    static float[] random(int n, long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return x;
    }

    @Test
    void rowMatchesTheDefinition() {
        for (int len : LENGTHS) {
            int off = 3;
            float[] x = random(off + len + 2, len, 12), y = x.clone();
            Softmax.row(y, off, len);
            double[] ref = Softmax.reference(x, off, len, 1);
            for (int i = 0; i < len; i++) assertEquals(ref[i], y[off + i], 1e-6 * Math.max(ref[i], 1e-3), "len " + len + " at " + i);
            for (int i = 0; i < off; i++) assertEquals(x[i], y[i], 0f);
            for (int i = off + len; i < x.length; i++) assertEquals(x[i], y[i], 0f);
        }
    }

    /** max is exact; the exponentials are the scalar twin's bits; scale and divide are one rounding each. */
    @Test
    void elementWisePartsGiveScalarBits() {
        for (int len : LENGTHS) {
            float[] x = random(len + 5, 100 + len, 30), out = new float[len + 5];
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 2; i < 2 + len; i++) max = Math.max(max, x[i]);
            assertEquals(max, Softmax.max(x, 2, len), 0f);
            float sum = Softmax.expShifted(x, out, 2, len, max);
            double refSum = 0;
            for (int i = 2; i < 2 + len; i++) {
                assertEquals(Float.floatToRawIntBits(VectorExp.exp(x[i] - max)), Float.floatToRawIntBits(out[i]), "exp at " + i);
                refSum += out[i];
            }
            assertEquals(refSum, sum, 1e-6 * refSum);
            float[] scaled = x.clone(), divided = x.clone();
            Softmax.scale(scaled, 2, len, 0.37f);
            Softmax.divide(divided, 2, len, 5.656854f);
            for (int i = 0; i < x.length; i++) {
                boolean in = i >= 2 && i < 2 + len;
                assertEquals(in ? x[i] * 0.37f : x[i], scaled[i], 0f, "scale at " + i);
                assertEquals(in ? x[i] / 5.656854f : x[i], divided[i], 0f, "divide at " + i);
            }
        }
    }

    /** Causal rows of every length up to cap, with the masked vector tail (inside the row) and the scalar tail (at its end). */
    @Test
    void causalRowMatchesTheDefinitionAndZerosTheMaskedPart() {
        for (int cap : new int[]{1, 5, 16, 37, 64}) {
            float scale = 0.17677669f;
            for (int len = 1; len <= cap; len++) {
                float[] x = random(cap + 4, cap * 100L + len, 20), y = x.clone();
                Softmax.causalRow(y, 2, len, cap, scale);
                double[] ref = Softmax.reference(x, 2, len, scale);
                for (int i = 0; i < len; i++) assertEquals(ref[i], y[2 + i], 1e-6 * Math.max(ref[i], 1e-3), "cap " + cap + " len " + len + " at " + i);
                for (int i = len; i < cap; i++) assertEquals(0f, y[2 + i], 0f, "masked entry " + i);
                assertEquals(x[0], y[0], 0f);
                assertEquals(x[cap + 3], y[cap + 3], 0f);
            }
        }
    }

    @Test
    void backwardRowMatchesTheDefinition() {
        for (int cap : new int[]{1, 9, 40}) {
            for (int len = 1; len <= cap; len++) {
                float[] p = new float[cap + 1], dp = random(cap + 3, len, 1);
                float[] s = random(cap, 7L * len, 4);
                Softmax.causalRow(s, 0, len, cap, 1f);
                System.arraycopy(s, 0, p, 1, cap);
                float[] ds = dp.clone();
                Softmax.backwardRow(ds, 3, p, 1, len, cap, 0.5f);
                double[] ref = Softmax.backwardReference(dp, 3, p, 1, len, 0.5);
                for (int i = 0; i < len; i++) assertEquals(ref[i], ds[3 + i], 1e-6, "len " + len + " at " + i);
                for (int i = len; i < cap; i++) assertEquals(0f, ds[3 + i], 0f);
            }
        }
    }
}
