package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.tensor.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** y = x W^T on tensor/Gemm (whose own test checks every layout): the output's old contents do not matter. */
class MatmulTest {
    /** forward writes y = x W^T without reading y: stale contents (NaN here) must not leak in. */
    @Test
    void forwardOverwritesWhateverTheOutputHeld() {
        for (int[] s : new int[][]{{29, 300, 45}, {24, 64, 32}, {5, 3, 7}}) {   // {N, in, out}: two j tiles, whole blocks, ragged
            int n = s[0], in = s[1], out = s[2];
            SplittableRandom rng = new SplittableRandom(n + in + out);
            float[] x = gaussian(n * in, rng), w = gaussian(out * in, rng), y = new float[n * out];
            for (int threads = 1; threads <= 2; threads++) {
                java.util.Arrays.fill(y, Float.NaN);
                try (Parallel par = new Parallel(threads)) { Matmul.forward(y, x, w, n, in, out, par); }
                for (int t = 0; t < n; t++)
                    for (int o = 0; o < out; o++) {
                        float acc = 0;
                        for (int i = 0; i < in; i++) acc = Math.fma(x[t * in + i], w[o * in + i], acc);
                        assertEquals(acc, y[t * out + o], 0f, "N=" + n + " in=" + in + " out=" + out + " at " + t + "," + o);
                    }
            }
        }
    }

    /** backwardDxInto and CrossEntropy.backwardInto overwrite (NaN here) with the bits of backward into a cleared array. */
    @Test
    void intoVariantsEqualTheAccumulatingOnesFromZero() {
        SplittableRandom rng = new SplittableRandom(3);
        int n = 29, in = 45, out = 300, v = 37;
        float[] dy = gaussian(n * out, rng), w = gaussian(out * in, rng), x = gaussian(n * in, rng);
        float[] want = new float[n * in], got = new float[n * in];
        java.util.Arrays.fill(got, Float.NaN);
        try (Parallel par = new Parallel(2)) {
            Matmul.backward(want, null, dy, x, w, n, in, out, par);
            Matmul.backwardDxInto(got, dy, w, n, in, out, par);
            assertArrayEquals(want, got);
            float[] logits = gaussian(n * v, rng), probs = new float[n * v], losses = new float[n], dWant = new float[n * v], dGot = new float[n * v];
            int[] targets = rng.ints(n, 0, v).toArray();
            CrossEntropy.forward(probs, losses, logits, targets, n, v, par);
            java.util.Arrays.fill(dGot, Float.NaN);
            CrossEntropy.backward(dWant, probs, targets, n, v, 0.7f, par);
            CrossEntropy.backwardInto(dGot, probs, targets, n, v, 0.7f, par);
            assertArrayEquals(dWant, dGot);
        }
    }

    private static float[] gaussian(int n, SplittableRandom rng) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian();
        return v;
    }
}
