package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.load.ModelRef;
import dev.actlab.model.eval.BitsPerByte;
import dev.actlab.model.eval.Perplexity;
import dev.actlab.train.BrownCorpus;
import dev.actlab.train.Corpus;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The committed default decoder, models/actlab-en.gguf: it loads with its own tokenizer and has learned English. */
class DefaultModelTest {
    @Test
    void defaultDecoderCarriesItsTokenizerAndPredictsEnglishFarBetterThanChance() throws Exception {
        Path file = Path.of(ModelRef.DEFAULT_MODEL);
        assumeTrue(Files.isRegularFile(file), "skipped: " + file + " is absent");
        LlamaModel m = ModelLoader.loadDecoder(file);
        assertEquals(4096, m.config().vocabSize());
        var tok = m.tokenizer();
        assertNotNull(tok, "the GGUF carries tokenizer.ggml.* metadata");
        assertEquals(256, tok.bosId());
        // not Brown text (held out or not): a sentence written for this test
        String text = "The committee said on Monday that the new school would open in the fall, and the mayor agreed.";
        int[] ids = tok.encode(text, true);
        assertEquals(text, tok.decode(ids));
        assertTrue(ids.length < text.length() / 3, "BPE merges common words: " + ids.length + " tokens");
        var r = Perplexity.run(m, ids, ids.length, Hooks.none(), null, null, null);
        // uniform guessing gives perplexity 4096; a model that learned English words does far better
        assertTrue(r.perplexity() < 400, "perplexity " + r.perplexity());
    }

    /**
     * The held-out quality models/README.md states, to within 1%: bits per byte on Brown's held-out
     * split and on Moby-Dick's first three chapters (models/eval, never trained on), windows of 256.
     */
    @Test
    void defaultDecoderHasTheHeldOutQualityItsReadmeStates() throws Exception {
        Path file = Path.of(ModelRef.DEFAULT_MODEL);
        assumeTrue(Files.isRegularFile(file), "skipped: " + file + " is absent");
        LlamaModel m = ModelLoader.loadDecoder(file);
        double moby = BitsPerByte.of(m, Files.readString(Path.of("models/eval/moby-dick-ch1-3.txt")), 256, null).bitsPerByte();
        assertEquals(MOBY_DICK_BPB, moby, 0.01 * MOBY_DICK_BPB, "Moby-Dick ch. 1-3");
        String brown = Files.readString(BrownCorpus.fetch(Path.of(System.getProperty("user.home"), ".cache", "actlab")));
        double heldOut = BitsPerByte.of(m, Corpus.split("brown", brown).heldOut(), 256, null).bitsPerByte();
        assertEquals(BROWN_HELD_OUT_BPB, heldOut, 0.01 * BROWN_HELD_OUT_BPB, "Brown held-out");
    }

    /** Measured with `actlab bpb` on the committed file (models/README.md). */
    static final double MOBY_DICK_BPB = 2.0178, BROWN_HELD_OUT_BPB = 1.8298;
}
