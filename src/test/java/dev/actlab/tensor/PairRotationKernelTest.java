package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The vector pair rotation gives the scalar rotation's bits, at vector widths and off them. */
class PairRotationKernelTest {
    @Test
    void vectorRotationEqualsTheScalarRotationBitForBit() {
        for (int n : new int[]{2, 6, 16, 32, 48, 64, 96}) {
            int rows = 5;
            float[] x = SoftmaxTest.random(rows * n + 3, n, 3), cos = new float[n], sin = new float[n];
            float[] angles = SoftmaxTest.random(n / 2, n + 1, 4);
            for (int i = 0; i < n / 2; i++) {
                cos[2 * i] = cos[2 * i + 1] = (float) Math.cos(angles[i]);
                float s = (float) Math.sin(angles[i]);
                sin[2 * i] = -s; sin[2 * i + 1] = s;
            }
            x[0] = -0f; x[1] = 0f;   // signed zeros take the same path
            float[] vector = x.clone(), scalar = x.clone();
            for (int r = 0; r < rows; r++) {
                PairRotationKernel.rotate(vector, 3 + r * n - (r == 0 ? 3 : 0), n, cos, sin, 0);
                PairRotationKernel.rotateScalar(scalar, 3 + r * n - (r == 0 ? 3 : 0), n, cos, sin, 0);
            }
            assertArrayEquals(scalar, vector, "n " + n);
            // the textbook form of the first pair, directly
            float c = cos[0], s = sin[1], v0 = x[0], v1 = x[1];
            assertEquals(v0 * c - v1 * s, vector[0], 0f);
            assertEquals(v0 * s + v1 * c, vector[1], 0f);
        }
    }
}
