package dev.actlab.train;

import dev.actlab.tensor.QuantFormat;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.tensor.Parallel;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FakeQuantTest {
    /** Every non-negative finite E4M3 value, enumerated from the bit patterns (exponent bias 7, S.1111.111 is NaN). */
    static List<Double> e4m3Values() {
        List<Double> v = new ArrayList<>();
        for (int bits = 0; bits < 0x7f; bits++) {
            int e = bits >> 3, m = bits & 7;
            v.add(e == 0 ? m / 8.0 * Math.pow(2, -6) : (1 + m / 8.0) * Math.pow(2, e - 7));
        }
        return v;
    }

    /** Nearest E4M3 value by search over the table; ties to the even bit pattern (even mantissa). */
    static float referenceE4m3(float x) {
        List<Double> table = e4m3Values();
        double a = Math.abs((double) x), best = 0;
        int bestBits = 0;
        for (int bits = 0; bits < table.size(); bits++) {
            double d = Math.abs(table.get(bits) - a), bd = Math.abs(best - a);
            if (d < bd || (d == bd && (bits & 1) == 0)) { best = table.get(bits); bestBits = bits; }
        }
        if (a > 448) best = 448;
        return (float) Math.copySign(best, x);
    }

    /** The definition, element by element: absmax per group, float scale and division, BigDecimal half-even rounding. */
    static float[] reference(float[] x, int rows, int cols, QuantFormat f, int g) {
        float[] out = new float[x.length];
        for (int r = 0; r < rows; r++)
            for (int g0 = 0; g0 < cols; g0 += g) {
                int end = Math.min(cols, g0 + g);
                float m = 0;
                for (int i = g0; i < end; i++) m = Math.max(m, Math.abs(x[r * cols + i]));
                float scale = m / f.qmax;
                for (int i = g0; i < end; i++) {
                    if (m == 0) continue;
                    float v = x[r * cols + i] / scale;
                    float q = f == QuantFormat.FP8_E4M3 ? referenceE4m3(v)
                            : Math.copySign(new BigDecimal(v).setScale(0, RoundingMode.HALF_EVEN).floatValue(), v);   // keeps -0
                    out[r * cols + i] = Math.max(-f.qmax, Math.min(f.qmax, q)) * scale;
                }
            }
        return out;
    }

    @Test
    void matchesTheScalarDefinitionForEveryFormatAndThreadCount() {
        SplittableRandom rng = new SplittableRandom(7);
        int rows = 37, cols = 100;   // 100 = 3 groups of 32 + a short group of 4
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rng.nextGaussian() * Math.exp(rng.nextGaussian() * 2));
        for (int i = 0; i < cols; i++) x[5 * cols + i] = 0;          // an all-zero row
        x[7 * cols + 3] = 1e4f;                                      // an outlier dominating its group
        for (QuantFormat f : QuantFormat.values())
            for (int g : new int[]{32, 7, 100}) {
                float[] want = reference(x, rows, cols, f, g);
                for (int threads : new int[]{1, 3}) {
                    float[] got = new float[x.length];
                    FakeQuant.forward(got, x, rows, cols, f, g, new Parallel(threads));
                    assertArrayEquals(want, got, f + " group " + g + " threads " + threads);
                }
            }
    }

    @Test
    void e4m3RoundingHitsTheTableAndItsTies() {
        assertEquals(127, e4m3Values().size());
        assertEquals(448.0, e4m3Values().get(126));
        for (double v : e4m3Values()) assertEquals((float) v, QuantFormat.roundE4m3((float) v), "representable " + v);
        // halfway between 1.0 and 1.125 -> 1.0 (even mantissa); between 1.125 and 1.25 -> 1.25
        assertEquals(1.0f, QuantFormat.roundE4m3(1.0625f));
        assertEquals(1.25f, QuantFormat.roundE4m3(1.1875f));
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < 20000; i++) {
            float v = (float) (rng.nextDouble(-460, 460) * Math.pow(2, -rng.nextInt(12)));
            assertEquals(referenceE4m3(v), QuantFormat.roundE4m3(v), "value " + v);
        }
    }

    @Test
    void int4KeepsEachGroupOnItsSixteenLevelsAndInt16IsNearlyExact() {
        SplittableRandom rng = new SplittableRandom(11);
        float[] x = new float[64];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        float[] q4 = new float[64], q16 = new float[64];
        FakeQuant.forward(q4, x, 1, 64, QuantFormat.INT4, 32, Parallel.shared());
        FakeQuant.forward(q16, x, 1, 64, QuantFormat.INT16, 32, Parallel.shared());
        for (int g = 0; g < 2; g++) {
            float m = 0;
            for (int i = 32 * g; i < 32 * g + 32; i++) m = Math.max(m, Math.abs(x[i]));
            for (int i = 32 * g; i < 32 * g + 32; i++) {
                double level = q4[i] / (m / 7.0);
                assertEquals(Math.rint(level), level, 1e-5, "INT4 value on a level");
                assertTrue(Math.abs(q4[i] - x[i]) <= m / 7 / 2 * 1.0001, "within half a step");
                assertTrue(Math.abs(q16[i] - x[i]) <= m / 32767 / 2 * 1.0001, "INT16 within half a step");
            }
        }
    }
}
