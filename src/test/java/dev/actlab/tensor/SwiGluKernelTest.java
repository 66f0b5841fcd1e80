package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** SwiGLU: the vector kernels give the scalar loops' bits on any range, and the scalar loops match silu's definition. */
class SwiGluKernelTest {
    @Test
    void vectorRangesGiveTheScalarBits() {
        int n = 203;
        float[] gate = SoftmaxTest.random(n, 1, 12), up = SoftmaxTest.random(n, 2, 3), dh = SoftmaxTest.random(n, 3, 1);
        float[] h = new float[n], hs = new float[n];
        SwiGluKernel.forward(h, gate, up, 0, 5);
        SwiGluKernel.forward(h, gate, up, 5, n);   // a range off the vector grid
        SwiGluKernel.forwardScalar(hs, gate, up, 0, n);
        assertArrayEquals(hs, h);
        float[] dGate = SoftmaxTest.random(n, 4, 1), dUp = SoftmaxTest.random(n, 5, 1), dGateS = dGate.clone(), dUpS = dUp.clone();
        SwiGluKernel.backward(dGate, dUp, dh, gate, up, 0, 3);
        SwiGluKernel.backward(dGate, dUp, dh, gate, up, 3, n);
        SwiGluKernel.backwardScalar(dGateS, dUpS, dh, gate, up, 0, n);
        assertArrayEquals(dGateS, dGate);
        assertArrayEquals(dUpS, dUp);
        // not accumulating: whatever the outputs held (NaN) is overwritten by the scalar loop's values from zero
        java.util.Arrays.fill(dGate, Float.NaN); java.util.Arrays.fill(dUp, Float.NaN);
        java.util.Arrays.fill(dGateS, 0f); java.util.Arrays.fill(dUpS, 0f);
        SwiGluKernel.backward(dGate, dUp, dh, gate, up, 0, 3, false);
        SwiGluKernel.backward(dGate, dUp, dh, gate, up, 3, n, false);
        SwiGluKernel.backwardScalar(dGateS, dUpS, dh, gate, up, 0, n);
        assertArrayEquals(dGateS, dGate);
        assertArrayEquals(dUpS, dUp);
    }

    @Test
    void scalarLoopsMatchTheDefinition() {
        int n = 64;
        float[] gate = SoftmaxTest.random(n, 6, 12), up = SoftmaxTest.random(n, 7, 3), dh = SoftmaxTest.random(n, 8, 1);
        float[] h = new float[n], dGate = new float[n], dUp = new float[n];
        SwiGluKernel.forwardScalar(h, gate, up, 0, n);
        SwiGluKernel.backwardScalar(dGate, dUp, dh, gate, up, 0, n);
        for (int i = 0; i < n; i++) {
            double g = gate[i], s = 1 / (1 + Math.exp(-g));
            assertEquals(g * s * up[i], h[i], 1e-6 * Math.max(1, Math.abs(g * up[i])), "h at " + i);
            assertEquals(dh[i] * up[i] * s * (1 + g * (1 - s)), dGate[i], 1e-6 * Math.max(1, Math.abs(g * up[i])), "dGate at " + i);
            assertEquals(dh[i] * g * s, dUp[i], 1e-6 * Math.max(1, Math.abs(g)), "dUp at " + i);
        }
    }
}
