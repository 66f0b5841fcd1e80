package dev.actlab.model.eval;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Bits per byte against Perplexity (itself checked against the C original's logits), window by window. */
class BitsPerByteTest {
    static final String TEXT = "The committee met on Tuesday to discuss the budget. After a long debate, the members agreed "
            + "that the school would need more teachers next year, and that the city should pay for them.\n";

    @Test void everyTokenIsScoredOnceAfterBos() throws Exception {
        LlamaModel m = ModelLoader.loadDecoder(Path.of("models/actlab-brown.gguf"));
        int[] t = m.tokenizer().encode(TEXT, false);
        int ctx = 16;
        BitsPerByte r = BitsPerByte.of(m, TEXT, ctx, null);
        double nll = 0;
        int windows = 0;
        for (int s = 0; s < t.length; s += ctx, windows++) {
            int len = Math.min(ctx, t.length - s);
            int[] withBos = new int[len + 1];   // Perplexity scores positions 1..len of [BOS, t_s .. t_{s+len-1}]
            withBos[0] = m.tokenizer().bosId();
            System.arraycopy(t, s, withBos, 1, len);
            PerplexityResult p = Perplexity.run(m, withBos, len + 1, Hooks.none(), null, null, null);
            assertEquals(len, p.scoredTokens());
            nll += p.meanNll() * len;
        }
        assertEquals(windows, r.windows());
        assertEquals(t.length, r.tokens());
        assertEquals(TEXT.getBytes(StandardCharsets.UTF_8).length, r.bytes());
        assertEquals(nll, r.nll(), 1e-9 * nll);
        assertEquals(nll / Math.log(2) / r.bytes(), r.bitsPerByte(), 1e-12);
        assertTrue(t.length > 2 * ctx, "several windows: " + t.length + " tokens" + Arrays.toString(t));
    }

    @Test void badInputIsNamed() throws Exception {
        LlamaModel m = ModelLoader.loadDecoder(Path.of("models/actlab-brown.gguf"));
        assertThrows(IllegalArgumentException.class, () -> BitsPerByte.of(m, "", 16, null));
        var e = assertThrows(IllegalArgumentException.class, () -> BitsPerByte.of(m, TEXT, 100000, null));
        assertTrue(e.getMessage().contains("--ctx"), e.getMessage());
    }
}
