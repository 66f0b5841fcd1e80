package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Decode attention's position-by-position scores give, bit for bit, Dot.vector(q_h, k_j) * scale (the path they
 * replace, one head and one key at a time), for head sizes with and without a scalar tail, head ranges that do and
 * do not fill passes of four, grouped-query heads (several query heads on one kv head); and write nothing else.
 */
class AttentionRowsTest {
    @Test
    void scoresAtArePerHeadDotVectorTimesScale() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int hs : new int[]{16, 20, 24, 32, 40, 64, 72, 100, 128})
            for (int group : new int[]{1, 2, 3})
                for (int[] range : new int[][]{{0, 12}, {0, 1}, {3, 10}, {5, 6}, {6, 12}, {1, 9}}) {
                    int heads = 12, kvHeads = heads / group, kvDim = kvHeads * hs, positions = 5, qOff = 2 * heads * hs, h0 = range[0], h1 = range[1];
                    int stride = positions + 3;
                    float[] q = DotTest.random(rnd, qOff + heads * hs + 3), keys = DotTest.random(rnd, positions * kvDim);
                    float scale = (float) (1.0 / Math.sqrt(hs));
                    float[] rows = DotTest.random(rnd, (h1 - h0) * stride), before = rows.clone();
                    for (int j = 0; j < positions; j++) AttentionRows.scoresAt(j, q, qOff, keys, kvDim, group, hs, h0, h1, scale, rows, stride);
                    for (int i = 0; i < rows.length; i++) {
                        int h = h0 + i / stride, j = i % stride;
                        String where = "hs " + hs + ", group " + group + ", heads [" + h0 + ", " + h1 + "), head " + h + ", position " + j;
                        if (j >= positions) assertEquals(before[i], rows[i], 0f, "outside the positions: " + where);
                        else assertEquals(Dot.vector(q, qOff + h * hs, keys, j * kvDim + (h / group) * hs, hs) * scale, rows[i], 0f, where);
                    }
                }
    }
}
