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

    private static float[] gaussian(int n, SplittableRandom rng) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian();
        return v;
    }
}
