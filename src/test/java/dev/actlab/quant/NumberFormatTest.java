package dev.actlab.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every element format against a scalar reference that knows nothing of the implementation: it
 * decodes every code of the format from its bit fields, and rounds by exhaustive search for the
 * nearest code (ties to the even code). Inputs: every code, every midpoint between neighbours (the
 * ties) and one float either side of it, the saturation region, infinities, NaN, signed zeros,
 * subnormals, and random values over many magnitudes.
 */
class NumberFormatTest {

    /** A decoded code: its value and whether the code is even (the tie-break). */
    record Code(double value, boolean even) {}

    /** All finite codes of a minifloat, decoded from sign / exponent / mantissa fields. */
    static List<Code> decode(int e, int m, int bias, boolean nanAtAllOnes, boolean ieeeSpecials) {
        List<Code> codes = new ArrayList<>();
        for (int code = 0; code < 1 << (1 + e + m); code++) {
            int sign = code >> (e + m), exp = (code >> m) & ((1 << e) - 1), man = code & ((1 << m) - 1);
            if (ieeeSpecials && exp == (1 << e) - 1) continue;                       // E5M2: Inf and NaN
            if (nanAtAllOnes && exp == (1 << e) - 1 && man == (1 << m) - 1) continue;   // E4M3: S.1111.111
            double v = exp == 0 ? man / (double) (1 << m) * Math.pow(2, 1 - bias) : (1 + man / (double) (1 << m)) * Math.pow(2, exp - bias);
            codes.add(new Code(sign == 1 ? -v : v, (code & 1) == 0));
        }
        return codes;
    }

    static double referenceRound(List<Code> codes, double v) {
        double max = codes.stream().mapToDouble(c -> Math.abs(c.value)).max().orElseThrow();
        if (v >= max) return max;
        if (v <= -max) return -max;
        Code best = null;
        double bestD = Double.POSITIVE_INFINITY;
        for (Code c : codes) {
            double d = Math.abs(v - c.value);
            if (d < bestD || (d == bestD && c.even && !best.even)) { best = c; bestD = d; }
        }
        return best.value;
    }

    /** Inputs that probe a grid: each value, each midpoint and its float neighbours, beyond the ends, random values. */
    static List<Float> probes(List<Code> codes, long seed) {
        List<Double> vals = codes.stream().map(Code::value).sorted().distinct().toList();
        List<Float> in = new ArrayList<>();
        for (int i = 0; i < vals.size(); i++) {
            in.add((float) (double) vals.get(i));
            if (i + 1 < vals.size()) {
                float mid = (float) ((vals.get(i) + vals.get(i + 1)) / 2);
                in.add(mid); in.add(Math.nextUp(mid)); in.add(Math.nextDown(mid));
            }
        }
        double max = vals.get(vals.size() - 1);
        for (double f : new double[]{1.01, 1.0625, 1.5, 2, 1e3}) { in.add((float) (max * f)); in.add((float) (-max * f)); }
        in.add(0f); in.add(-0f); in.add(Float.MIN_VALUE); in.add(-Float.MIN_VALUE); in.add(Float.MAX_VALUE); in.add(-Float.MAX_VALUE);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 20000; i++) in.add((float) ((r.nextBoolean() ? 1 : -1) * max * Math.pow(2, -r.nextDouble(0, 24))));
        return in;
    }

    private static void checkAgainstReference(ElementFormat f, List<Code> codes) {
        for (float v : probes(codes, 7)) {
            float got = f.round(v);
            double want = referenceRound(codes, v);
            assertEquals(want, got, 0.0, () -> f.name() + ": round(" + v + ")");
            if (got == 0) assertEquals(Math.copySign(1f, v), Math.copySign(1f, got), f.name() + ": the sign of zero of " + v);
        }
    }

    @Test
    void e4m3MatchesTheReference() {
        List<Code> codes = decode(4, 3, 7, true, false);
        assertEquals(448.0, codes.stream().mapToDouble(Code::value).max().orElseThrow());
        assertEquals(Math.pow(2, -9), codes.stream().mapToDouble(Code::value).filter(v -> v > 0).min().orElseThrow());
        assertEquals(254, codes.size());
        checkAgainstReference(MiniFloat.E4M3, codes);
    }

    @Test
    void e5m2MatchesTheReference() {
        List<Code> codes = decode(5, 2, 15, false, true);
        assertEquals(57344.0, codes.stream().mapToDouble(Code::value).max().orElseThrow());
        assertEquals(Math.pow(2, -16), codes.stream().mapToDouble(Code::value).filter(v -> v > 0).min().orElseThrow());
        checkAgainstReference(MiniFloat.E5M2, codes);
    }

    @Test
    void e2m1MatchesTheReference() {
        List<Code> codes = decode(2, 1, 1, false, false);
        assertArrayEquals(new double[]{0, 0.5, 1, 1.5, 2, 3, 4, 6},
                codes.stream().mapToDouble(Code::value).filter(v -> v >= 0).map(Math::abs).distinct().sorted().toArray());
        checkAgainstReference(MiniFloat.E2M1, codes);
        assertEquals(4f, MiniFloat.E2M1.round(5f), "5 is halfway between 4 (code 110) and 6 (code 111): the even code");
        assertEquals(2f, MiniFloat.E2M1.round(2.5f), "2.5 is halfway between 2 (100) and 3 (101)");
        assertEquals(0f, MiniFloat.E2M1.round(0.25f), "0.25 ties between 0 and 0.5: to 0");
        assertEquals(1f, MiniFloat.E2M1.round(0.75f), "0.75 ties between 0.5 (001) and 1 (010): to 1");
    }

    @Test
    void integersMatchTheReference() {
        for (int bits : new int[]{2, 3, 4, 8}) {
            for (boolean signed : new boolean[]{true, false}) {
                IntGrid g = new IntGrid(bits, signed);
                List<Code> codes = new ArrayList<>();
                for (int q = (int) g.min(); q <= g.max(); q++) codes.add(new Code(q, (q & 1) == 0));
                for (float v : probes(codes, bits)) {
                    double want = Math.max(g.min(), Math.min(g.max(), referenceRound(codes, v)));
                    assertEquals(want, g.round(v), 0.0, g.name() + ": round(" + v + ")");
                }
            }
        }
        assertEquals(7f, INT4().round(7.5f), "saturates");
        assertEquals(-7f, INT4().round(-100f), "symmetric: -8 is not used");
        assertEquals(2f, INT4().round(2.5f), "ties to even");
        assertEquals(-4f, INT4().round(-3.5f), "ties to even");
    }

    private static IntGrid INT4() { return new IntGrid(4, true); }

    @Test
    void specialValuesFollowTheFormats() {
        assertTrue(Float.isNaN(MiniFloat.E4M3.round(Float.NaN)), "E4M3 encodes NaN");
        assertTrue(Float.isNaN(MiniFloat.E5M2.round(Float.NaN)), "E5M2 encodes NaN");
        assertEquals(448f, MiniFloat.E4M3.round(Float.POSITIVE_INFINITY), "saturation mode: Inf to the largest finite value");
        assertEquals(-57344f, MiniFloat.E5M2.round(Float.NEGATIVE_INFINITY));
        assertEquals(448f, MiniFloat.E4M3.round(464f), "464 is halfway between 448 and (unencodable) 480: saturates");
        assertEquals(6f, MiniFloat.E2M1.round(Float.POSITIVE_INFINITY));
        assertThrows(NonFiniteValueException.class, () -> MiniFloat.E2M1.round(Float.NaN), "FP4 has no NaN");
        assertThrows(NonFiniteValueException.class, () -> INT4().round(Float.NaN));
        assertThrows(NonFiniteValueException.class, () -> Nf4Grid.NF4.round(Float.NaN));
        assertEquals(7f, INT4().round(Float.POSITIVE_INFINITY));
        assertEquals(-1f, Nf4Grid.NF4.round(Float.NEGATIVE_INFINITY));
    }

    /** Phi^-1 by bisection on Phi(x) = (1 + erf(x / sqrt 2)) / 2, erf by its Taylor series (exact enough for |x| < 3). */
    static double normalQuantile(double p) {
        double lo = -6, hi = 6;
        for (int i = 0; i < 200; i++) {
            double mid = (lo + hi) / 2;
            if (phi(mid) < p) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }

    static double phi(double x) {
        double z = x / Math.sqrt(2), term = z, sum = z;
        for (int n = 1; n < 200; n++) { term *= -z * z / n; sum += term / (2 * n + 1); }
        return 0.5 * (1 + 2 / Math.sqrt(Math.PI) * sum);
    }

    @Test
    void nf4LevelsFollowTheirDefinition() {
        double offset = 0.9677083;
        List<Double> v = new ArrayList<>();
        for (int i = 0; i < 8; i++) v.add(normalQuantile(offset + (0.5 - offset) * i / 8.0));    // linspace(offset, 0.5, 9)[:-1]
        for (int i = 0; i < 7; i++) v.add(-normalQuantile(offset + (0.5 - offset) * i / 7.0));   // linspace(offset, 0.5, 8)[:-1]
        v.add(0.0);
        double max = v.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        double[] want = v.stream().mapToDouble(d -> d / max).sorted().toArray();
        float[] got = Nf4Grid.levels();
        for (int i = 0; i < 16; i++) assertEquals(want[i], got[i], 2e-6, "level " + i);
    }

    @Test
    void nf4RoundsToTheNearestLevel() {
        float[] lv = Nf4Grid.levels();
        List<Code> codes = new ArrayList<>();
        for (int i = 0; i < lv.length; i++) codes.add(new Code(lv[i], (i & 1) == 0));
        for (float v : probes(codes, 3)) assertEquals(referenceRound(codes, v), Nf4Grid.NF4.round(v), 0.0, "nf4 round(" + v + ")");
    }

    @Test
    void parsesNamesAndRejectsOthers() {
        assertEquals(NumberFormat.INT4, NumberFormat.parse("int4"));
        assertEquals(NumberFormat.INT4_ASYM, NumberFormat.parse("INT4-asym"));
        assertEquals(NumberFormat.FP8_E4M3, NumberFormat.parse("fp8"));
        assertEquals(NumberFormat.MXFP4, NumberFormat.parse("mxfp4"));
        assertEquals("int6", NumberFormat.parse("int6").name());
        var e = assertThrows(IllegalArgumentException.class, () -> NumberFormat.parse("int1"));
        assertTrue(e.getMessage().contains("int1") && e.getMessage().contains("nf4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NumberFormat.parse("fp5"));
        assertThrows(IllegalArgumentException.class, () -> NumberFormat.parse("int17"));
    }
}
