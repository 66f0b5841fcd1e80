package dev.actlab.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Each MLP activation against a double-precision reference written here from its definition
 * (independently of MlpActivation's formulas where one exists: silu through tanh, relu2 and
 * polyrelu through Math.pow), and its derivative against central finite differences in double.
 */
class MlpActivationTest {
    private static final double[] POINTS = {-6, -3.1, -1.7, -0.9, -0.31, -0.05, 0.02, 0.07, 0.4, 0.93, 1.6, 2.5, 4.2, 7};

    private static DoubleUnaryOperator reference(MlpActivation a) {
        return switch (a) {
            case SILU -> x -> 0.5 * x * (1 + Math.tanh(x / 2));   // x sigmoid(x) = x (1 + tanh(x/2)) / 2
            case GELU -> x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * Math.pow(x, 3))));
            case RELU -> x -> Math.max(0, x);
            case RELU2 -> x -> Math.pow(Math.max(0, x), 2);
            case POLYRELU -> x -> {
                double r = Math.max(0, x);
                return (Math.pow(r, 1) + Math.pow(r, 2) + Math.pow(r, 3)) / 3;
            };
        };
    }

    @Test
    void valuesMatchTheReferenceAndFloatIsTheDoubleRounded() {
        for (MlpActivation a : MlpActivation.values()) {
            DoubleUnaryOperator ref = reference(a);
            for (double x : POINTS) {
                double want = ref.applyAsDouble(x);
                assertEquals(want, a.value(x), 1e-12 * Math.max(1, Math.abs(want)), a + "(" + x + ")");
                assertEquals((float) a.value((float) x), a.apply((float) x), 0f, a + " float at " + x);
            }
        }
    }

    @Test
    void derivativesMatchFiniteDifferences() {
        double eps = 1e-6;
        for (MlpActivation a : MlpActivation.values()) {
            DoubleUnaryOperator ref = reference(a);
            for (double x : POINTS) {   // none within eps of relu's kink at 0
                double numeric = (ref.applyAsDouble(x + eps) - ref.applyAsDouble(x - eps)) / (2 * eps);
                assertEquals(numeric, a.slope(x), 1e-6 * Math.max(1, Math.abs(numeric)), a + "'(" + x + ")");
                assertEquals((float) a.slope((float) x), a.derivative((float) x), 0f);
            }
        }
    }

    @Test
    void reluFamilyGivesExactZerosAndFlatSlopeAtOrBelowZero() {
        for (MlpActivation a : new MlpActivation[]{MlpActivation.RELU, MlpActivation.RELU2, MlpActivation.POLYRELU})
            for (float x : new float[]{-3f, -1e-30f, -0f, 0f}) {
                assertEquals(0f, a.apply(x), 0f, a + "(" + x + ")");
                assertEquals(0f, a.derivative(x), 0f);
            }
    }

    @Test
    void keysRoundTripAndUnknownIsNull() {
        for (MlpActivation a : MlpActivation.values()) assertSame(a, MlpActivation.byKey(a.key()));
        assertNull(MlpActivation.byKey("swish"));
        assertEquals("silu, gelu, relu, relu2, polyrelu", MlpActivation.keys());
    }

    @Test
    void topKKeepsExactlyKEntriesOfLargestMagnitudeEvenWithTies() {
        float[] h = {0.5f, -2f, 0f, 1f, 1f, 1f, -0.1f, 3f};
        byte[] keep = new byte[8];
        MlpSpec.topK(h, 0, 8, 4, keep);
        // |h| sorted: 3, 2, then three ties at 1 for two places: the lower indices (3, 4) win them
        assertArrayEquals(new float[]{0, -2f, 0, 1f, 1f, 0, 0, 3f}, h);
        assertArrayEquals(new byte[]{0, 1, 0, 1, 1, 0, 0, 1}, keep);
        float[] zeros = new float[6];
        MlpSpec.topK(zeros, 0, 6, 2, keep);   // all equal: still exactly 2 kept
        assertEquals(2, keep[0] + keep[1] + keep[2] + keep[3] + keep[4] + keep[5]);
    }
}
