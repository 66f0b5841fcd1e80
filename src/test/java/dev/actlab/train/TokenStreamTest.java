package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class TokenStreamTest {
    static byte[] text(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) ('a' + i % 26);
        return b;
    }

    @Test
    void holdsOutTheLastFivePercent() {
        TokenStream s = TokenStream.ofBytes(text(1000));
        assertEquals(950, s.trainTokens());
        assertEquals(50, s.heldOutTokens());
    }

    @Test
    void windowsStartWithBosAndTargetsAreTheNextTokens() {
        byte[] t = text(2000);
        TokenStream s = TokenStream.ofBytes(t);
        TokenStream.Batch b = s.trainBatch(7, 3, 0, 4, 16);
        for (int r = 0; r < 4; r++) {
            assertEquals(TokenStream.BYTE_BOS, b.inputs()[r * 16]);
            for (int i = 1; i < 16; i++) assertEquals(b.targets()[r * 16 + i - 1], b.inputs()[r * 16 + i]);
        }
        TokenStream.Batch h = s.heldOutBatch(0, 2, 4, 16);
        // held-out windows come from the held-out part: the last one ends at the corpus' end
        TokenStream.Batch last = s.heldOutBatch(1, 2, 4, 16);
        assertEquals(t[t.length - 1] & 0xff, last.targets()[4 * 16 - 1]);
        assertEquals(t[s.trainTokens()] & 0xff, h.targets()[0]);
    }

    @Test
    void batchesDependOnlyOnSeedStepAndMicroBatch() {
        TokenStream s = TokenStream.ofBytes(text(5000));
        assertArrayEquals(s.trainBatch(1, 5, 1, 4, 32).inputs(), s.trainBatch(1, 5, 1, 4, 32).inputs());
        assertFalse(java.util.Arrays.equals(s.trainBatch(1, 5, 1, 4, 32).inputs(), s.trainBatch(1, 6, 1, 4, 32).inputs()));
        assertFalse(java.util.Arrays.equals(s.trainBatch(1, 5, 1, 4, 32).inputs(), s.trainBatch(2, 5, 1, 4, 32).inputs()));
    }

    @Test
    void aCorpusTooSmallForTheContextIsRefused() {
        TokenStream s = TokenStream.ofBytes(text(100));
        var e = assertThrows(IllegalArgumentException.class, () -> s.trainBatch(1, 0, 0, 1, 64));
        assertTrue(e.getMessage().contains("at least a context of 64"), e.getMessage());
    }
}
