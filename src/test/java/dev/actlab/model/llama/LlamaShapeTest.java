package dev.actlab.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.testutil.Shared;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The one list of named shapes: unique names, the real models' shapes, the old "tiny" aliases. */
class LlamaShapeTest {
    @Test
    void labelsAreUniqueIgnoringCase() {
        Set<String> seen = new HashSet<>();
        for (LlamaShape s : LlamaShape.values()) assertTrue(seen.add(s.label().toLowerCase(Locale.ROOT)), s.label());
    }

    @Test
    void the260KShapeIsStories260K() throws Exception {
        LlamaConfig real = Llama2cReader.read(Shared.stories260K()).config();   // architecture "llama2.c": its reader's name
        assertEquals(new LlamaConfig("llama", real.dim(), real.hiddenDim(), real.layers(), real.heads(), real.kvHeads(), real.vocabSize(),
                real.contextLength(), real.normEps(), real.ropeTheta(), real.ropeHalfSplit(), real.ropeScaling(), real.tiedEmbeddings()),
                LlamaShape.STORIES_260K.config());
    }

    @Test
    void tinyQuantRowsAreWholeBlocks() {
        LlamaConfig c = LlamaShape.TINY_QUANT.config();
        for (int cols : new int[]{c.dim(), c.qDim(), c.hiddenDim()}) assertEquals(0, cols % 32, "row length " + cols);
    }

    @Test
    void presetsAndModelShapesAreFoundOnlyWhereAsked() {
        assertEquals(LlamaShape.BROWN, LlamaShape.trainingPreset("Brown"));
        assertTrue(LlamaShape.find("brown", false).isEmpty(), "a preset is not a random-weight shape");
        assertTrue(LlamaShape.find("1b", true).isEmpty(), "1B is not a training preset");
        LlamaConfig c = LlamaShape.TINY.config(32, 300);
        assertEquals(300, c.vocabSize());
        assertEquals(32, c.contextLength());
        assertEquals(64, c.dim());
        var e = assertThrows(IllegalArgumentException.class, () -> LlamaShape.trainingPreset("huge"));
        assertEquals("--config must be tiny, small, brown or medium, got huge", e.getMessage());
    }

    @Test
    void oldTinyNamesStayAliases() {
        assertEquals(LlamaShape.STORIES_260K, RandomLlama.shape("tiny"));
        assertEquals(LlamaShape.LLAMA_3_2_1B, RandomLlama.shape("1B"));
        assertEquals(1024, RandomLlama.config("1B").contextLength(), "random models keep at most 1024 positions");
        assertEquals(LlamaShape.LLAMA_3_2_1B.config().ropeScaling(), RandomLlama.config("1B").ropeScaling());
    }
}
