package dev.actlab.inspect;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Activation;
import dev.actlab.model.tokenizer.Tokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The massive-activation rule and the token classes of its summary, on hand-made hidden states. */
class MassiveActivationsTest {
    /** A vocabulary of a few pieces, enough to classify tokens. */
    static final List<String> PIECES = List.of("<unk>", "<s>", "</s>", "\u2581the", "\u2581.", ",", "<0x0A>", "[SEP]", "cat", "<0x41>");

    static final Tokenizer VOCAB = new Tokenizer() {
        public int vocabSize() { return PIECES.size(); }
        public int[] encode(String text, boolean addBos) { throw new UnsupportedOperationException(); }
        public String decode(int[] ids) { throw new UnsupportedOperationException(); }
        public String piece(int id) { return PIECES.get(id); }
        public int bosId() { return 1; }
        public int eosId() { return 2; }
    };

    @Test
    void delimitersAreSpecialTokensAndPunctuation() {
        TokenText t = new TokenText(VOCAB);
        boolean[] expected = {false, true, true, false, true, true, true, true, false, false};
        for (int id = 0; id < PIECES.size(); id++) assertEquals(expected[id], t.isDelimiter(id), PIECES.get(id));
        assertFalse(new TokenText(null).isDelimiter(4), "unknown without a tokenizer");
        assertEquals("#4", new TokenText(null).label(4));
    }

    @Test
    void bothThresholdsMustHold() {
        int d = 8;
        // rows: [0] a 2000 spike over |x| = 1 (massive); [1] 150 over median 1 (ratio 150 < 1000: not massive);
        // [2] 150 over median 0.1 (ratio 1500: massive); [3] 90 over median 0.01 (below the absolute 100: not massive)
        float[] x = new float[4 * d];
        for (int i = 0; i < d; i++) { x[i] = 1f; x[d + i] = -1f; x[2 * d + i] = 0.1f; x[3 * d + i] = 0.01f; }
        x[3] = 2000f;
        x[d + 5] = 150f;
        x[2 * d + 6] = -150f;
        x[3 * d + 1] = 90f;
        MassiveActivations m = new MassiveActivations(100, 1000, 10, new TokenText(VOCAB));
        m.beginChunk(new int[]{1, 8, 4, 3}, 100);
        m.apply(new Activation("blocks.3.hook_resid_post", x, 0, new int[]{4, d}, 0, 0));
        m.apply(new Activation("blocks.3.hook_resid_mid", x, 0, new int[]{4, d}, 0, 0));   // not a site of the rule
        var r = m.result();
        assertEquals(2, r.summary().count());
        var a = r.findings().get(0);
        assertEquals(List.of(3, 100, 0, 1, 3), List.of(a.layer(), a.position(), a.chunkPosition(), a.tokenId(), a.channel()));
        assertEquals(2000f, a.value());
        assertEquals(1f, a.rowMedianAbs());
        var b = r.findings().get(1);
        assertEquals(List.of(3, 102, 2, 4, 6), List.of(b.layer(), b.position(), b.chunkPosition(), b.tokenId(), b.channel()));
        assertEquals(-150f, b.value());
        assertEquals(0.1f, b.rowMedianAbs());
        assertEquals(1, r.summary().onFirstToken());
        assertEquals(1, r.summary().onDelimiters());
        assertEquals(0, r.summary().onOtherTokens());
    }

    @Test
    void medianOfEvenAndOddCounts() {
        assertEquals(2f, MassiveActivations.median(new float[]{3, 1, 2}));
        assertEquals(2.5f, MassiveActivations.median(new float[]{4, 1, 3, 2}));
    }
}
