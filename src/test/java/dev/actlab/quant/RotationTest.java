package dev.actlab.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import org.junit.jupiter.api.Test;

/** Hadamard matrices, rotations, and QuaRot's rotation of a real model: orthogonal, and the float model unchanged. */
class RotationTest {

    @Test
    void hadamardMatricesAreHadamard() {
        for (int n : new int[]{1, 2, 4, 8, 12, 20, 24, 28, 36, 44, 64, 192}) {
            assertTrue(Hadamard.exists(n), "order " + n);
            int[][] h = Hadamard.matrix(n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    assertTrue(Math.abs(h[i][j]) == 1, "entries are +-1");
                    long dot = 0;
                    for (int k = 0; k < n; k++) dot += (long) h[i][k] * h[j][k];
                    assertEquals(i == j ? n : 0, dot, "H H^T = n I at (" + i + ", " + j + "), order " + n);
                }
        }
        assertEquals(12, Hadamard.core(192), "192 = 12 * 16");
        assertEquals(36, Hadamard.core(36), "Paley II: 2 * (17 + 1)");
        assertFalse(Hadamard.exists(172), "172 = 4 * 43: no construction here");
        assertThrows(IllegalArgumentException.class, () -> Rotation.hadamard(172));
    }

    static void assertOrthogonal(Rotation r, double tol) {
        double[][] m = r.matrix();
        int n = r.size();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double dot = 0;
                for (int k = 0; k < n; k++) dot += m[i][k] * m[j][k];
                assertEquals(i == j ? 1 : 0, dot, tol, r + ": R R^T at (" + i + ", " + j + ")");
            }
    }

    @Test
    void rotationsAreOrthogonalAndTheFastPathIsTheMatrix() {
        assertOrthogonal(Rotation.hadamard(192), 1e-12);
        assertOrthogonal(Rotation.randomizedHadamard(192, 7), 1e-12);
        assertOrthogonal(Rotation.randomizedHadamard(512, 7), 1e-12);
        Rotation fallback = Rotation.randomizedHadamard(172, 7);
        assertFalse(fallback.isHadamard(), "no Hadamard of order 172: a random orthogonal matrix");
        assertOrthogonal(fallback, 1e-12);
        // the fast Kronecker path equals H D / sqrt(n) written out
        int n = 24;
        int[][] h = Hadamard.matrix(n);
        Rotation plain = Rotation.hadamard(n);
        double[][] m = plain.matrix();
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) assertEquals(h[i][j] / Math.sqrt(n), m[i][j], 1e-14);
    }

    @Test
    void quarotLeavesTheDefaultDecodersLogitsUnchanged() throws Exception {
        LlamaModel base = TestModels.brown();
        int[] tokens = java.util.Arrays.copyOf(TestModels.brownTokens(base), 96);
        float[] want = base.runWithHooks(tokens, Hooks.none());
        QuantModel q = QuantModel.of(base);
        new HadamardRotation(3, true).apply(q, null, Progress.NONE);
        assertTrue(q.input(0, Linear.DOWN).rotation().isHadamard() && q.input(0, Linear.O).rotation().isHadamard());
        float[] got = q.build().runWithHooks(tokens, Hooks.none());
        double d = TestModels.maxAbsDiff(want, got);
        assertTrue(d < 1e-4, "rotated float model's logits differ by " + d);
        assertTrue(TestModels.maxAbsDiff(q.embedding(), QuantModel.of(base).embedding()) > 1e-3, "the weights did change");
    }

    @Test
    void quarotLeavesStories260KUnchangedWithARandomOrthogonalOnlineRotation() throws Exception {
        LlamaModel base = TestModels.stories260K();
        int[] tokens = TestModels.storiesTokens(64);
        float[] want = base.runWithHooks(tokens, Hooks.none());
        QuantModel q = QuantModel.of(base);
        new HadamardRotation(5, true).apply(q, null, Progress.NONE);
        assertFalse(q.input(0, Linear.DOWN).rotation().isHadamard(), "hidden 172");
        float[] got = q.build().runWithHooks(tokens, Hooks.none());
        double d = TestModels.maxAbsDiff(want, got);
        assertTrue(d < 1e-4, "rotated float model's logits differ by " + d);
    }

    @Test
    void rotationMustComeFirst() throws Exception {
        QuantModel q = QuantModel.of(TestModels.stories260K());
        new Rtn(new Quantizer(NumberFormat.INT8, Granularity.ROW)).apply(q, null, Progress.NONE);
        var e = assertThrows(IllegalArgumentException.class, () -> new HadamardRotation(1, true).apply(q, null, Progress.NONE));
        assertTrue(e.getMessage().contains("before any quantization"), e.getMessage());
    }
}
