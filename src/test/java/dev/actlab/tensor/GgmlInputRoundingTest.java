package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.testutil.Shared;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * GgmlInputRounding against what ggml's CPU backend itself returns for the same inputs (its from_float on this
 * x86 AVX2 machine, then decoded: src/test/llamacpp/make_ggml_rounding_fixtures.sh): edge blocks (zeros,
 * exact .5 ties, a lone value, tied and negative maxima, tiny and large values, constants) and random ones.
 */
class GgmlInputRoundingTest {
    private static final Path DIR = Path.of("src/test/resources/llamacpp");

    @Test
    void everyRoundingGivesGgmlsOwnValues() throws Exception {
        float[] in = Shared.f32(DIR.resolve("ggml-rounding-in.f32"));
        for (GgmlInputRounding r : new GgmlInputRounding[]{GgmlInputRounding.Q8_0, GgmlInputRounding.Q8_K, GgmlInputRounding.F16, GgmlInputRounding.BF16}) {
            float[] want = Shared.f32(DIR.resolve("ggml-rounding-" + r.name().toLowerCase() + ".f32"));
            float[] got = in.clone();
            r.round(got, 0, got.length);
            for (int i = 0; i < in.length; i++)   // == : ggml writes +0 where a negative value rounds to a zero code
                if (got[i] != want[i]) fail(r + ": input " + in[i] + " at " + i + " (block " + i / r.blockSize + ") gives " + got[i] + ", ggml " + want[i]);
        }
    }

    @Test
    void q8_0TiesGoToEvenAsTheAvx2QuantizerRoundsThem() {
        float[] x = new float[32];
        x[0] = 127; x[1] = 2.5f; x[2] = 3.5f; x[3] = -2.5f; x[4] = 0.5f;   // amax 127: the scale is 1, x * 127 / 127 = x
        GgmlInputRounding.Q8_0.round(x, 0, 32);
        assertArrayEquals(new float[]{127, 2, 4, -2, 0}, java.util.Arrays.copyOf(x, 5));   // ggml's portable reference (roundf) would give 3, 4, -3, 1
    }

    @Test
    void zeroBlocksStayZero() {
        float[] x = new float[512];
        x[300] = 5;
        GgmlInputRounding.Q8_K.round(x, 0, 512);
        for (int i = 0; i < 256; i++) assertEquals(0f, x[i]);
        assertEquals(5f, x[300], 1e-6f);
    }

    @Test
    void eachWeightTypeHasGgmlsVecDotType() {
        assertEquals(GgmlInputRounding.NONE, GgmlInputRounding.forWeights(DType.F32));
        assertEquals(GgmlInputRounding.F16, GgmlInputRounding.forWeights(DType.F16));
        assertEquals(GgmlInputRounding.BF16, GgmlInputRounding.forWeights(DType.BF16));
        for (DType t : new DType[]{DType.Q8_0, DType.Q4_0, DType.Q5_0, DType.IQ4_NL, DType.MXFP4})
            assertEquals(GgmlInputRounding.Q8_0, GgmlInputRounding.forWeights(t), t.name());
        for (DType t : new DType[]{DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K})
            assertEquals(GgmlInputRounding.Q8_K, GgmlInputRounding.forWeights(t), t.name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GgmlInputRounding.forWeights(DType.Q4_1));
        assertTrue(e.getMessage().contains("Q8_1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GgmlInputRounding.Q8_0.round(new float[40], 0, 40));
    }
}
