package dev.actlab.inspect;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** ChannelStats against a plain two-pass computation in double precision. */
class ChannelStatsTest {

    @Test
    void momentsMatchTwoPassEvenWithALargeOffset() {
        Random rnd = new Random(7);
        float[] x = new float[20_000];
        // a large mean and a heavy tail: the case where sum-of-squares formulas lose every digit
        for (int i = 0; i < x.length; i++) x[i] = (float) (3e5 + rnd.nextGaussian() * (rnd.nextInt(50) == 0 ? 40 : 2));
        ChannelStats s = new ChannelStats(1e-3f, 100);
        for (float v : x) s.add(v);
        TwoPass ref = TwoPass.of(x, 0, x.length, 1, 1e-3f);
        assertEquals(ref.mean(), s.mean(), 1e-9 * Math.abs(ref.mean()));
        assertEquals(ref.std(), s.std(), 1e-7 * ref.std());
        assertEquals(ref.kurtosis(), s.kurtosis(), 1e-6 * Math.abs(ref.kurtosis()));
        assertTrue(ref.kurtosis() > 10, "heavy tail planted: kurtosis " + ref.kurtosis());
        assertEquals(ref.maxAbs(), s.maxAbs());
        assertEquals(ref.min(), s.min());
        assertEquals(ref.max(), s.max());
    }

    @Test
    void zerosNearZerosAndQuantiles() {
        Random rnd = new Random(3);
        float[] x = new float[10_000];
        for (int i = 0; i < x.length; i++) x[i] = i % 4 == 0 ? 0f : (float) rnd.nextGaussian();
        ChannelStats s = new ChannelStats(0.05f, 100);
        for (float v : x) s.add(v);
        TwoPass ref = TwoPass.of(x, 0, x.length, 1, 0.05f);
        assertEquals(ref.zeros(), s.zeros());
        assertEquals(ref.nearZeros(), s.nearZeros());
        float[] sorted = x.clone();
        Arrays.sort(sorted);
        for (double q : new double[]{0.01, 0.1, 0.5, 0.9, 0.99}) {
            double got = s.quantile(q);
            // the t-digest estimate must sit at a rank within 0.5% of q (values tie at 0: a rank range)
            double below = (double) countBelow(sorted, got) / x.length, upTo = (double) countBelowOrEqual(sorted, got) / x.length;
            assertTrue(below <= q + 0.005 && upTo >= q - 0.005, "quantile " + q + " estimated as " + got + " at ranks [" + below + ", " + upTo + "]");
        }
    }

    @Test
    void constantStreamHasNoKurtosis() {
        ChannelStats s = new ChannelStats(1e-3f, 100);
        for (int i = 0; i < 10; i++) s.add(2f);
        assertEquals(2.0, s.mean());
        assertEquals(0.0, s.std());
        assertTrue(Double.isNaN(s.kurtosis()));
    }

    static int countBelow(float[] sorted, double v) {
        int n = 0;
        while (n < sorted.length && sorted[n] < v) n++;
        return n;
    }

    static int countBelowOrEqual(float[] sorted, double v) {
        int n = 0;
        while (n < sorted.length && sorted[n] <= v) n++;
        return n;
    }
}
