package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Both W8A8 kernels (16-bit integer lanes, and int8 weights widened into float FMA) against the
 * plain scalar reference (quantize x per token, integer dot, scale), bit for bit, on 1 and 3 threads,
 * and the activation quantizer's edge cases.
 */
class Int8PanelMatrixTest {
    static byte[] weights(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] q = new byte[n];
        for (int i = 0; i < n; i++) q[i] = (byte) (i % 7 == 0 ? (r.nextBoolean() ? 127 : -127) : r.nextInt(-127, 128));   // extremes too
        return q;
    }

    static float[] floats(int n, double scale, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * scale);
        return x;
    }

    /** The scalar reference written out here, independent of the class: quantize, integer dot, scale. */
    static float reference(byte[] q, float[] rowScale, float[] mul, int cols, int row, float[] x, int xOff) {
        float amax = 0;
        for (int k = 0; k < cols; k++) amax = Math.max(amax, Math.abs(mul == null ? x[xOff + k] : x[xOff + k] * mul[k]));
        if (amax == 0) return 0f * rowScale[row];
        float inv = 127 / amax;
        long acc = 0;
        for (int k = 0; k < cols; k++) {
            int xq = (int) Math.max(-127, Math.min(127, Math.rint((mul == null ? x[xOff + k] : x[xOff + k] * mul[k]) * inv)));
            acc += (long) q[row * cols + k] * xq;
        }
        return (float) acc * (rowScale[row] * (amax / 127));
    }

    @Test void bothKernelsGiveTheScalarReferenceBitsOnAnyThreadCount() {
        int[][] shapes = {{384, 384}, {1536, 384}, {384, 1536}, {100, 33}, {7, 5}, {17, 1}};
        for (int[] s : shapes) {
            int rows = s[0], cols = s[1];
            byte[] q = weights(rows * cols, rows * 31L + cols);
            float[] scale = floats(rows, 0.01, rows), mul = floats(cols, 1, cols);
            for (int i = 0; i < scale.length; i++) scale[i] = Math.abs(scale[i]) + 1e-4f;
            for (float[] m : new float[][]{null, mul}) {
                WeightMatrix[] kernels = {Int8PanelMatrix.of(q, scale, m, rows, cols), Int8WeightPanelMatrix.of(q, scale, m, rows, cols),
                        Int8WeightPanelMatrix.of(q, scale, m, rows, cols, true)};
                for (int n : new int[]{1, 2, 5, 16, 31, 67, 100}) {   // 16- (blocks of 16 to 31), 6-, 4-, 2- and 1-token tiles, one and several blocks
                    float[] x = floats(n * cols, 3, n + cols);
                    x[0] = 250f;   // an outlier channel, as MiniLM has
                    for (int kernel = 0; kernel < kernels.length; kernel++) {
                        float[] one = new float[n * rows], three = new float[n * rows];
                        try (Parallel p1 = new Parallel(1); Parallel p3 = new Parallel(3)) {
                            kernels[kernel].matmul(x, n, one, p1);
                            kernels[kernel].matmul(x, n, three, p3);
                        }
                        assertArrayEquals(one, three, "kernel " + kernel + ": same bits on 1 and 3 threads");
                        // float sums of int8 products are exact below 2^24: always for up to 1040 columns
                        boolean exact = kernel == 0 || cols <= 1040;
                        for (int t = 0; t < n; t++)
                            for (int r = 0; r < rows; r++) {
                                float ref = reference(q, scale, m, cols, r, x, t * cols), got = one[t * rows + r];
                                String where = "kernel " + kernel + " [" + rows + "x" + cols + "] n=" + n + " t=" + t + " r=" + r + (m == null ? "" : " smoothed");
                                if (exact) assertEquals(ref, got, where);
                                else assertEquals(ref, got, Math.abs(ref) * 1e-6f, where);
                                if (r % 13 == 0) assertEquals(ref, kernels[kernel].dotScalar(r, x, t * cols), where + " dotScalar");
                            }
                    }
                }
            }
        }
    }

    /**
     * Layers sharing one quantized input (Q, K, V) in one call, with bias and an epilogue inside the
     * tasks: each output is bias + the scalar reference, then the epilogue, bit for bit, on 1 and 3 threads.
     */
    @Test void sharedInputLayersWithBiasAndEpilogueGiveTheReferenceBits() {
        int cols = 384, n = 53;
        float[] mul = floats(cols, 1, 5), x = floats(n * cols, 3, 6);
        x[7] = -300f;
        int[] rows = {384, 100, 1536};
        byte[][] q = new byte[rows.length][];
        float[][] scale = new float[rows.length][], bias = new float[rows.length][];
        for (boolean widen : new boolean[]{false, true}) {
            Int8WeightPanelMatrix[] ms = new Int8WeightPanelMatrix[rows.length];
            for (int m = 0; m < rows.length; m++) {
                q[m] = weights(rows[m] * cols, 11 + m);
                scale[m] = floats(rows[m], 0.01, 12 + m);
                for (int i = 0; i < rows[m]; i++) scale[m][i] = Math.abs(scale[m][i]) + 1e-4f;
                bias[m] = floats(rows[m], 1, 13 + m);
                ms[m] = Int8WeightPanelMatrix.of(q[m], scale[m], mul, rows[m], cols, widen);
            }
            for (int threads : new int[]{1, 3}) {
                float[][] outs = new float[rows.length][];
                for (int m = 0; m < rows.length; m++) outs[m] = new float[n * rows[m]];
                try (Parallel p = new Parallel(threads)) {
                    Int8WeightPanelMatrix.matmulAll(ms, x, n, outs, bias, GeluKernel::apply, p);
                }
                for (int m = 0; m < rows.length; m++)
                    for (int t = 0; t < n; t++)
                        for (int r = 0; r < rows[m]; r++) {
                            float want = GeluKernel.scalar(bias[m][r] + reference(q[m], scale[m], mul, cols, r, x, t * cols));
                            assertEquals(want, outs[m][t * rows[m] + r], 0f, "layer " + m + " t " + t + " r " + r + " threads " + threads + " widened " + widen);
                        }
            }
        }
        Int8WeightPanelMatrix other = Int8WeightPanelMatrix.of(new byte[cols], new float[]{1f}, null, 1, cols);
        assertThrows(IllegalArgumentException.class, () -> Int8WeightPanelMatrix.matmulAll(new Int8WeightPanelMatrix[]{
                Int8WeightPanelMatrix.of(q[0], scale[0], mul, rows[0], cols), other}, x, n, new float[][]{new float[n * rows[0]], new float[n]}, new float[2][], null, new Parallel(1)));
    }

    @Test void activationQuantizerHandlesZerosClampsAndRoundsToEven() {
        int cols = 6;
        Int8PanelMatrix m = Int8PanelMatrix.of(new byte[cols], new float[]{1f}, null, 1, cols);
        short[] q = new short[cols];
        assertEquals(0f, m.quantizeActivation(new float[cols], 0, q, 0), "an all-zero row has scale 0");
        assertArrayEquals(new short[cols], q);
        // amax 127: x itself is the grid; 0.5 and 2.5 round to even, -127 stays (never -128)
        float s = m.quantizeActivation(new float[]{127f, 0.5f, 2.5f, -127f, 1.5f, -3.5f}, 0, q, 0);
        assertEquals(1f, s);
        assertArrayEquals(new short[]{127, 0, 2, -127, 2, -4}, q);
        // the input multiplier applies before the maximum
        Int8PanelMatrix smoothed = Int8PanelMatrix.of(new byte[2], new float[]{1f}, new float[]{0.5f, 2f}, 1, 2);
        short[] q2 = new short[2];
        assertEquals(1f, smoothed.quantizeActivation(new float[]{254f, 10f}, 0, q2, 0));
        assertArrayEquals(new short[]{127, 20}, q2);
    }

    /** The vector quantizer into floats gives the scalar quantizer's values and scale: ties, clamps, tiny and zero rows, with and without a multiplier. */
    @Test void vectorQuantizerGivesTheScalarValues() {
        SplittableRandom r = new SplittableRandom(17);
        for (int cols : new int[]{5, 37, 384, 1536}) {
            for (boolean mul : new boolean[]{false, true}) {
                float[] inputMul = mul ? floats(cols, 2, cols) : null;
                Int8PanelMatrix m = Int8PanelMatrix.of(weights(3 * cols, cols), new float[]{0.1f, 0.2f, 0.3f}, inputMul, 3, cols);
                for (int row = 0; row < 40; row++) {
                    float[] x = floats(cols, row % 3 == 0 ? 300 : 1, row * 31L + cols);
                    if (row % 5 == 1) x[r.nextInt(cols)] = 222f;                       // an outlier channel
                    if (row % 5 == 2) { for (int k = 0; k < cols; k++) x[k] = (k % 7 - 3) * 0.5f; x[0] = 127f; }   // scale 1: exact ties (without a multiplier)
                    if (row % 5 == 3) { java.util.Arrays.fill(x, 0f); x[r.nextInt(cols)] = Float.MIN_VALUE; }   // scale overflows to infinity
                    if (row % 10 == 4) java.util.Arrays.fill(x, 0f);
                    short[] want = new short[cols];
                    float[] got = new float[cols + 3];
                    float sWant = m.quantizeActivation(x, 0, want, 0), sGot = m.quantizeActivation(x, 0, got, 2);
                    assertEquals(sWant, sGot, 0f, "scale, cols " + cols + " row " + row);
                    for (int k = 0; k < cols; k++) assertEquals((float) want[k], got[2 + k], 0f, "cols " + cols + " row " + row + " k " + k);
                }
            }
        }
    }

    @Test void refusesMinus128AndWrongSizes() {
        assertThrows(IllegalArgumentException.class, () -> Int8PanelMatrix.of(new byte[]{-128, 0}, new float[]{1f}, null, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> Int8PanelMatrix.of(new byte[3], new float[]{1f}, null, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> Int8WeightPanelMatrix.of(new byte[2], new float[]{1f}, new float[3], 1, 2));
    }

    @Test void dequantizedRowsCarryRowScaleAndInputMultiplier() {
        byte[] q = {10, -20, 30, 127};
        float[] scale = {0.5f, 0.25f}, mul = {2f, 4f};
        float[] row = new float[2];
        Int8WeightPanelMatrix.of(q, scale, mul, 2, 2).dequantizeRow(1, row, 0);
        assertArrayEquals(new float[]{30 * 0.25f * 2f, 127 * 0.25f * 4f}, row);
    }
}
