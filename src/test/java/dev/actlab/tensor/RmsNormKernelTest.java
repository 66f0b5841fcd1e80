package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** RMSNorm's backward kernels against their double-precision definitions; channel ranges do not change a channel's bits. */
class RmsNormKernelTest {
    @Test
    void backwardRowMatchesTheDefinition() {
        for (int c : new int[]{1, 7, 16, 33, 192}) {
            int n = 3;
            float[] x = SoftmaxTest.random(n * c, c, 2), dy = SoftmaxTest.random(n * c, c + 1, 1), w = SoftmaxTest.random(c, c + 2, 1.5);
            float[] dx0 = SoftmaxTest.random(n * c, c + 3, 1), dx = dx0.clone();
            for (int t = 0; t < n; t++) {
                double ss = 0;
                for (int i = 0; i < c; i++) ss += (double) x[t * c + i] * x[t * c + i];
                float rstd = (float) (1 / Math.sqrt(ss / c + 1e-5));
                RmsNormKernel.backwardRow(dx, dy, x, w, rstd, t * c, c);
                double[] g = RmsNormKernel.backwardRowReference(dy, x, w, rstd, t * c, c);
                for (int i = 0; i < c; i++) assertEquals(dx0[t * c + i] + g[i], dx[t * c + i], 2e-5, "c " + c + " row " + t + " at " + i);
            }
        }
    }

    @Test
    void weightGradientMatchesTheDefinitionForAnyChannelRange() {
        for (int c : new int[]{1, 7, 16, 33, 192}) {
            int n = 11;
            float[] x = SoftmaxTest.random(n * c, c, 2), dy = SoftmaxTest.random(n * c, c + 1, 1), rstd = SoftmaxTest.random(n, c + 2, 1);
            float[] dw0 = SoftmaxTest.random(c, c + 3, 1), whole = dw0.clone(), split = dw0.clone();
            RmsNormKernel.weightGradient(whole, dy, x, rstd, n, c, 0, c);
            int cut = Math.min(c, 5);   // off the vector grid
            RmsNormKernel.weightGradient(split, dy, x, rstd, n, c, 0, cut);
            RmsNormKernel.weightGradient(split, dy, x, rstd, n, c, cut, c);
            assertArrayEquals(whole, split, "c " + c);
            double[] g = RmsNormKernel.weightGradientReference(dy, x, rstd, n, c);
            for (int i = 0; i < c; i++) assertEquals(dw0[i] + g[i], whole[i], 1e-5, "c " + c + " at " + i);
        }
    }

    @Test
    void forwardRowsGiveTheScalarForwardsBitsForAnyRowRange() {
        for (int c : new int[]{1, 7, 16, 33, 192, 256}) {
            int n = 11;
            float[] x = SoftmaxTest.random(n * c, c, 2), w = SoftmaxTest.random(c, c + 1, 1.5);
            float[] y = new float[n * c], rstd = new float[n], y0 = new float[n * c], rstd0 = new float[n];
            RmsNormKernel.forwardRowsScalar(y0, rstd0, x, w, c, 1e-5f, 0, n);
            RmsNormKernel.forwardRows(y, rstd, x, w, c, 1e-5f, 0, 3);   // a tail alone, then 4-row groups and a tail
            RmsNormKernel.forwardRows(y, rstd, x, w, c, 1e-5f, 3, n);
            assertArrayEquals(y0, y, "y, c " + c);
            assertArrayEquals(rstd0, rstd, "rstd, c " + c);
            for (int t = 0; t < n; t++) {
                double ss = 0;
                for (int i = 0; i < c; i++) ss += (double) x[t * c + i] * x[t * c + i];
                assertEquals(1 / Math.sqrt(ss / c + 1e-5), rstd[t], 1e-5 * rstd[t], "rstd against the definition");
            }
        }
    }
}
