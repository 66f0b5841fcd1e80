package dev.actlab.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Scaled formats and granularities against plain references written out longhand. */
class QuantizerTest {

    static float[] gaussian(int n, long seed, float sd) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (sd * Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
        return x;
    }

    /** Symmetric b-bit reference: scale = amax / qmax, round half to even, clamp. */
    static float[] symmetricReference(float[] x, int from, int to, int bits) {
        float amax = 0;
        for (int i = from; i < to; i++) amax = Math.max(amax, Math.abs(x[i]));
        float qmax = (1 << (bits - 1)) - 1, scale = amax / qmax;
        float[] out = new float[to - from];
        for (int i = from; i < to; i++) {
            if (scale == 0) continue;
            double q = Math.rint(x[i] / scale);
            out[i - from] = (float) (Math.max(-qmax, Math.min(qmax, q)) * scale);
        }
        return out;
    }

    @Test
    void int4PerGroupMatchesTheReference() {
        int rows = 6, cols = 200, g = 64;        // the last group of each row has 8 values
        float[] w = gaussian(rows * cols, 1, 0.02f);
        w[5] = 0.5f;                              // an outlier in row 0, group 0
        float[] q = w.clone();
        new Quantizer(NumberFormat.INT4, Granularity.group(g)).apply(q, 0, rows, cols);
        for (int r = 0; r < rows; r++)
            for (int c0 = 0; c0 < cols; c0 += g) {
                int from = r * cols + c0, to = r * cols + Math.min(cols, c0 + g);
                assertArrayEquals(symmetricReference(w, from, to, 4), Arrays.copyOfRange(q, from, to), "row " + r + " group at " + c0);
            }
        assertEquals(0.5f, q[5], 1e-7f, "the group's absmax is exact");
    }

    @Test
    void granularitiesShareScalesAsNamed() {
        int rows = 4, cols = 64;
        float[] w = gaussian(rows * cols, 2, 1f);
        w[3 * cols + 7] = 40f;                                        // row 3 holds the tensor's absmax
        float[] t = w.clone(), r = w.clone(), g = w.clone();
        new Quantizer(NumberFormat.INT8, Granularity.TENSOR).apply(t, 0, rows, cols);
        new Quantizer(NumberFormat.INT8, Granularity.ROW).apply(r, 0, rows, cols);
        new Quantizer(NumberFormat.INT8, Granularity.group(32)).apply(g, 0, rows, cols);
        assertArrayEquals(symmetricReference(w, 0, rows * cols, 8), t, "per tensor: one scale from the outlier");
        for (int i = 0; i < rows; i++)
            assertArrayEquals(symmetricReference(w, i * cols, (i + 1) * cols, 8), Arrays.copyOfRange(r, i * cols, (i + 1) * cols), "row " + i);
        for (int i = 0; i < rows * 2; i++)
            assertArrayEquals(symmetricReference(w, i * 32, (i + 1) * 32, 8), Arrays.copyOfRange(g, i * 32, (i + 1) * 32), "group " + i);
        double et = err(w, t, 0, cols), er = err(w, r, 0, cols);
        assertTrue(er < et / 10, "row 0 does not pay for row 3's outlier per row: " + er + " vs " + et);
    }

    static double err(float[] a, float[] b, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += (a[i] - b[i]) * (double) (a[i] - b[i]);
        return s;
    }

    @Test
    void asymmetricIntegersKeepZeroAndUseTheWholeRange() {
        float[] x = {0.1f, 0.2f, 0.95f, 0.4f, 0f, 0.33f, 0.71f, 0.05f};   // all >= 0: symmetric wastes half the codes
        float[] a = x.clone(), s = x.clone();
        NumberFormat.INT4_ASYM.fakeQuant(a, 0, a.length, 1f);
        NumberFormat.INT4.fakeQuant(s, 0, s.length, 1f);
        float scale = 0.95f / 15;
        for (int i = 0; i < x.length; i++) {
            double want = Math.max(0, Math.min(15, Math.rint(x[i] / scale))) * scale;    // lo = 0: zero point 0
            assertEquals(want, a[i], 1e-6, "value " + i);
        }
        assertEquals(0f, a[4], "zero is exact");
        assertTrue(err(x, a, 0, 8) < err(x, s, 0, 8) / 2, "15 steps over [0, 0.95] beat 7 steps over [0, 0.95]");

        float[] y = {-1f, -0.5f, 3f, 2f, 0.25f};
        GroupScale gs = NumberFormat.INT4_ASYM.fit(y, 0, y.length, 1f);
        assertEquals(4f / 15, gs.scale(), 1e-7);
        assertEquals(4f, gs.zero(), "rint(1 / (4/15)) = rint(3.75) = 4");
        NumberFormat.INT4_ASYM.fakeQuant(y, 0, y.length, 1f);
        assertEquals(3f, y[2], 0.5 * gs.scale());
        assertEquals(-1f, y[0], 0.5 * gs.scale() + 1e-6);
    }

    @Test
    void clipRatioShrinksTheRange() {
        float[] x = {1f, 0.2f, -0.3f, 0.05f};
        NumberFormat.INT4.fakeQuant(x, 0, 4, 0.5f);
        assertEquals(0.5f, x[0], 1e-7, "1 clips to 0.5 * absmax");
        assertEquals(3 * 0.5f / 7, x[1], 1e-7, "0.2 / (0.5 / 7) = 2.8 -> 3 steps");
        assertThrows(IllegalArgumentException.class, () -> new Quantizer(NumberFormat.INT4, Granularity.ROW, 0f));
        assertThrows(IllegalArgumentException.class, () -> new Quantizer(NumberFormat.INT4, Granularity.ROW, 1.5f));
    }

    @Test
    void mxfp4SharesAPowerOfTwoPerBlockOf32() {
        float[] x = new float[64];
        for (int i = 0; i < 32; i++) x[i] = 0.01f * (i - 16);   // block 0: amax 0.16 -> 2^(floor(log2 0.16) - 2) = 2^-5
        x[40] = 5f;                                              // block 1: amax 5 -> scale 2^0
        x[41] = 7.5f;                                            // would need 7.5: above E2M1's 6, saturates
        x[42] = 2.5f;                                            // tie between 2 and 3: even code, 2
        x[43] = -0.3f;                                           // nearest of 0 and 0.5 is 0.5
        float[] q = x.clone();
        Quantizer mx = new Quantizer(NumberFormat.MXFP4, Granularity.ROW);
        assertEquals(Granularity.group(32), mx.granularity(), "MX fixes the block");
        mx.apply(q, 0, 1, 64);
        float s0 = 1f / 32;
        for (int i = 0; i < 32; i++) assertEquals(MiniFloat.E2M1.round(x[i] / s0) * s0, q[i], 0f, "block 0, value " + i);
        assertEquals(0.125f, q[28], "0.12 / 2^-5 = 3.84 -> 4 -> 0.125");
        assertEquals(6f, q[41]);
        assertEquals(4f, q[40], "5 ties between 4 and 6: even code");
        assertEquals(2f, q[42]);
        assertEquals(-0.5f, q[43]);
        assertEquals(4.25, NumberFormat.MXFP4.bitsPerValue(32), 1e-12);

        float[] tiny = new float[32];
        tiny[0] = 1e-40f;                                        // exponent clamps at E8M0's smallest, 2^-127
        assertEquals((float) Math.scalb(1.0, -127), NumberFormat.MXFP4.fit(tiny, 0, 32, 1f).scale());
        float[] zeros = new float[32];
        NumberFormat.MXFP4.fakeQuant(zeros, 0, 32, 1f);
        assertArrayEquals(new float[32], zeros);
    }

    @Test
    void mxBlockWithNaNOrInfinityIsNaN() {
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY}) {
            float[] x = gaussian(64, 3, 1f);
            x[33] = bad;
            NumberFormat.MXFP4.fakeQuant(x, 0, 32, 1f);
            NumberFormat.MXFP4.fakeQuant(x, 32, 32, 1f);
            for (int i = 0; i < 32; i++) assertTrue(Float.isFinite(x[i]), "block 0 is untouched by block 1's " + bad);
            for (int i = 32; i < 64; i++) assertTrue(Float.isNaN(x[i]), "block 1 has the NaN scale (" + bad + ")");
        }
    }

    @Test
    void nonFiniteValuesInScaledGroups() {
        float[] x = {1f, -2f, Float.POSITIVE_INFINITY, 0.5f, Float.NEGATIVE_INFINITY};
        NumberFormat.INT8.fakeQuant(x, 0, x.length, 1f);
        assertEquals(2f, x[2], "Inf saturates to the group's largest value (scale from the finite values)");
        assertEquals(-2f, x[4]);
        assertEquals(1f, x[0], 2f / 127);
        float[] n = {1f, Float.NaN, 3f};
        NumberFormat.FP8_E4M3.fakeQuant(n, 0, 3, 1f);
        assertTrue(Float.isNaN(n[1]), "FP8 encodes NaN");
        assertEquals(3f, n[2]);
        var e = assertThrows(NonFiniteValueException.class, () -> NumberFormat.INT4.fakeQuant(new float[]{1f, Float.NaN}, 0, 2, 1f));
        assertTrue(e.getMessage().contains("int4"), e.getMessage());
        assertThrows(NonFiniteValueException.class, () -> NumberFormat.INT4_ASYM.fakeQuant(new float[]{1f, Float.NaN}, 0, 2, 1f));
        assertThrows(NonFiniteValueException.class, () -> NumberFormat.NF4.fakeQuant(new float[]{1f, Float.NaN}, 0, 2, 1f));
    }

    @Test
    void fp8AndNf4ScaleTheAbsmaxOntoTheirLargestValue() {
        float[] x = gaussian(128, 4, 3f);
        for (NumberFormat f : new NumberFormat[]{NumberFormat.FP8_E4M3, NumberFormat.FP8_E5M2, NumberFormat.FP4_E2M1, NumberFormat.NF4}) {
            float[] q = x.clone();
            f.fakeQuant(q, 0, q.length, 1f);
            float amax = 0;
            for (float v : x) amax = Math.max(amax, Math.abs(v));
            float scale = amax / f.element().max();
            for (int i = 0; i < x.length; i++) assertEquals(f.element().round(x[i] / scale) * scale, q[i], 0f, f + " value " + i);
        }
        double e4m3 = 0, e5m2 = 0;
        float[] a = x.clone(), b = x.clone();
        NumberFormat.FP8_E4M3.fakeQuant(a, 0, 128, 1f);
        NumberFormat.FP8_E5M2.fakeQuant(b, 0, 128, 1f);
        e4m3 = err(x, a, 0, 128); e5m2 = err(x, b, 0, 128);
        assertTrue(e4m3 < e5m2, "one more mantissa bit: " + e4m3 + " < " + e5m2);
    }
}
