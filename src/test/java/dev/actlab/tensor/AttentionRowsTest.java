package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** AttentionRows against the per-key kernels it stands in for (Dot.vector, Axpy.vector), bit for bit. */
class AttentionRowsTest {

    @Test
    void scoresAreDotVectorPerKey() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int hs : new int[]{8, 16, 24, 64, 72, 128})
            for (int count : new int[]{1, 3, 4, 5, 8, 13, 64}) {
                int stride = 3 * hs + 8, kOff = 5;   // keys interleaved with other heads, as in a KV cache row
                float[] q = random(rnd, 2 * hs + 7), keys = random(rnd, kOff + count * stride), row = new float[count + 2], ref = new float[count + 2];
                float scale = (float) (1.0 / Math.sqrt(hs));
                AttentionRows.scores(q, 7, keys, kOff, stride, hs, scale, count, row, 2);
                for (int j = 0; j < count; j++) ref[2 + j] = Dot.vector(q, 7, keys, kOff + j * stride, hs) * scale;
                assertArrayEquals(ref, row, "hs " + hs + ", " + count + " keys");
            }
    }

    @Test
    void mixIsAxpyVectorPerKeyInOrder() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (int hs : new int[]{8, 16, 24, 40, 64, 72, 128})
            for (int count : new int[]{1, 2, 7, 33}) {
                int stride = 2 * hs + 8, vOff = 3;
                float[] p = random(rnd, count + 1), values = random(rnd, vOff + count * stride);
                float[] z = random(rnd, hs + 4), ref = z.clone();
                AttentionRows.mix(p, 1, values, vOff, stride, hs, count, z, 4 % (z.length - hs + 1));
                for (int j = 0; j < count; j++) Axpy.vector(p[1 + j], values, vOff + j * stride, ref, 4 % (ref.length - hs + 1), hs);
                assertArrayEquals(ref, z, "hs " + hs + ", " + count + " keys");
            }
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextDouble() * 2 - 1);
        return v;
    }
}
