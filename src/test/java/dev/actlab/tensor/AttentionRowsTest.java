package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Decode attention's row kernels give, bit for bit, what one key at a time through Dot.vector and Axpy.vector
 * gives (the path they replace), for head sizes with and without a scalar tail, any number of positions, keys and
 * values at a stride inside a larger cache; and touch nothing outside their outputs.
 */
class AttentionRowsTest {
    private static final int[] HEAD_SIZES = {16, 20, 24, 32, 40, 64, 72, 100, 128};

    @Test
    void scoresAreDotVectorTimesScaleKeyByKey() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int hs : HEAD_SIZES)
            for (int count = 0; count <= 13; count++) {
                int stride = hs * 3 + 5, kOff = 7, qOff = 3, rowOff = 2;
                float[] q = DotTest.random(rnd, qOff + hs + 4), keys = DotTest.random(rnd, kOff + stride * Math.max(count, 1) + hs);
                float scale = (float) (1.0 / Math.sqrt(hs));
                float[] row = DotTest.random(rnd, rowOff + count + 3), before = row.clone();
                AttentionRows.scores(q, qOff, keys, kOff, stride, hs, scale, row, rowOff, count);
                for (int i = 0; i < row.length; i++) {
                    int j = i - rowOff;
                    if (j < 0 || j >= count) assertEquals(before[i], row[i], 0f, "outside the row at " + i);
                    else assertEquals(Dot.vector(q, qOff, keys, kOff + j * stride, hs) * scale, row[i], 0f, "hs " + hs + ", key " + j + " of " + count);
                }
            }
    }

    @Test
    void mixIsAxpyVectorPositionByPositionFromZero() {
        SplittableRandom rnd = new SplittableRandom(12);
        for (int hs : HEAD_SIZES)
            for (int count : new int[]{1, 2, 3, 5, 8, 17, 40}) {
                int stride = hs * 2 + 3, vOff = 5, pOff = 4, zOff = 6;
                float[] p = DotTest.random(rnd, pOff + count), values = DotTest.random(rnd, vOff + stride * count + hs);
                float[] z = DotTest.random(rnd, zOff + hs + 5), want = z.clone();
                for (int i = 0; i < hs; i++) want[zOff + i] = 0;
                for (int j = 0; j < count; j++) Axpy.vector(p[pOff + j], values, vOff + j * stride, want, zOff, hs);
                AttentionRows.mix(p, pOff, values, vOff, stride, hs, z, zOff, count);
                assertArrayEquals(want, z, "hs " + hs + ", " + count + " positions");
            }
    }

    @Test
    void mixKeepsSignedZerosAndSpecialValuesAsAxpyDoes() {
        // -0 products, an infinity and a NaN in the values: the accumulation order and operations are Axpy's
        int hs = 24, count = 4;
        float[] p = {0.5f, 0f, 0.25f, 1f};
        float[] values = new float[count * hs];
        for (int j = 0; j < count; j++) for (int i = 0; i < hs; i++) values[j * hs + i] = (i % 3 == 0) ? -0f : (i == 7 && j == 2 ? Float.POSITIVE_INFINITY : i == 11 ? Float.NaN : i * 0.1f - j);
        float[] want = new float[hs], got = new float[hs];
        for (int j = 0; j < count; j++) Axpy.vector(p[j], values, j * hs, want, 0, hs);
        AttentionRows.mix(p, 0, values, 0, hs, hs, got, 0, count);
        for (int i = 0; i < hs; i++) assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]), "element " + i);
    }
}
