package dev.actlab.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * One head of unmasked attention against its double-precision definition, for sequence lengths on
 * and off the query groups and key panels; scores + softmax + mix give the fused path's bits.
 */
class EncoderAttentionKernelTest {
    @Test
    void everyLengthMatchesTheDefinitionAndThePartsGiveTheFusedBits() {
        for (int hs : new int[]{32, 20, 64}) {   // 20: not a whole panel of values
            int heads = 3, d = heads * hs, o = 2;
            for (int len : new int[]{1, 2, 5, 6, 7, 13, 16, 17, 33, 40, 64, 65, 100, 129}) {
                int rows = o + len + 1;
                float[] q = SoftmaxTest.random(rows * d, len, 2), k = SoftmaxTest.random(rows * d, len + 1, 2), v = SoftmaxTest.random(rows * d, len + 2, 1);
                for (int h = 0; h < heads; h++) {
                    float[] fused = SoftmaxTest.random(rows * d, 9, 1), parts = fused.clone(), before = fused.clone();
                    EncoderAttentionKernel.fused(q, k, v, fused, o, len, heads, hs, h);
                    double[] ref = EncoderAttentionKernel.reference(q, k, v, o, len, heads, hs, h);
                    for (int i = 0; i < len; i++)
                        for (int c = 0; c < hs; c++)
                            assertEquals(ref[i * hs + c], fused[(o + i) * d + h * hs + c], 2e-6, "hs " + hs + " len " + len + " head " + h + " at " + i + "," + c);
                    for (int r = 0; r < rows; r++)   // other rows and heads untouched
                        for (int c = 0; c < d; c++)
                            if (r < o || r >= o + len || c / hs != h) assertEquals(before[r * d + c], fused[r * d + c], 0f);
                    float[] p = new float[3 + len * len];   // at an offset, as one head of a [heads, len, len] pattern
                    EncoderAttentionKernel.scores(q, k, o, len, heads, hs, h, p, 3);
                    for (int i = 0; i < len; i++) Softmax.row(p, 3 + i * len, len);
                    EncoderAttentionKernel.mix(p, 3, v, parts, o, len, heads, hs, h);
                    assertArrayEquals(fused, parts, "hs " + hs + " len " + len + " head " + h + ": parts give the fused bits");
                }
            }
        }
    }

    @Test
    void scoreTilesOfEitherShapeGiveTheSameBits() {
        int hs = 32, heads = 2, d = heads * hs;
        for (int len : new int[]{5, 16, 40, 129}) {
            float[] q = SoftmaxTest.random(len * d, len, 2), k = SoftmaxTest.random(len * d, len + 1, 2), v = SoftmaxTest.random(len * d, len + 2, 1);
            float[][] z = new float[2][len * d];
            boolean saved = KernelChoice.attentionHalfTiles;
            try {
                for (int choice = 0; choice < 2; choice++) {
                    KernelChoice.attentionHalfTiles = choice == 1;
                    for (int h = 0; h < heads; h++) EncoderAttentionKernel.fused(q, k, v, z[choice], 0, len, heads, hs, h);
                }
            } finally {
                KernelChoice.attentionHalfTiles = saved;
            }
            assertArrayEquals(z[0], z[1], "len " + len);
        }
    }
}
