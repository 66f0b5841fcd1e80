package dev.actlab.model.load;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.tokenizer.SentencePieceBpeTokenizer;
import dev.actlab.model.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer file's format is told by its content; a tokenizer replaces a decoder's own only when it fits. */
class TokenizerFilesTest {
    @Test void tellsTheFormatByContent(@TempDir Path tmp) throws Exception {
        // llama2.c's tokenizer.bin, under another name
        Path renamed = tmp.resolve("vocab.dat");
        Files.copy(Path.of("src/test/resources/llama2c/tokenizer.bin"), renamed);
        Tokenizer bin = TokenizerFiles.read(renamed);
        assertInstanceOf(SentencePieceBpeTokenizer.class, bin);
        assertArrayEquals(new int[]{1, 306, 4658, 278, 6593, 310, 2834, 338}, bin.encode("I believe the meaning of life is", true));
        // a GGUF's own tokenizer: the ids the model itself gives
        LlamaModel brown = ModelRef.decoder(null);
        Tokenizer gguf = TokenizerFiles.read(ModelRef.path(null));
        for (String text : new String[]{"The jury said", "wö \"quoted\" 1984", ""})
            assertArrayEquals(brown.tokenizer().encode(text, true), gguf.encode(text, true), text);
        // a JSON object goes to the tokenizer.json reader, whose error names the field
        Path json = tmp.resolve("tok.bin");
        Files.writeString(json, "  {\"version\": \"1.0\"}");
        var e = assertThrows(dev.actlab.io.FormatException.class, () -> TokenizerFiles.read(json));
        assertTrue(e.getMessage().contains("tok.bin") && e.getMessage().contains("model"), e.getMessage());
    }

    @Test void attachKeepsTheWeightsAndRefusesAVocabularyTooLarge() throws Exception {
        LlamaModel brown = ModelRef.decoder(null);
        LlamaModel same = TokenizerFiles.attach(brown, ModelRef.path(null));
        assertSame(brown.weights(), same.weights());
        int[] ids = brown.tokenizer().encode("The jury said", true);
        assertArrayEquals(brown.lastLogits(ids, dev.actlab.model.hook.Hooks.none()), same.lastLogits(ids, dev.actlab.model.hook.Hooks.none()));
        var e = assertThrows(dev.actlab.io.FormatException.class, () -> TokenizerFiles.attach(brown, Path.of("src/test/resources/llama2c/tokenizer.bin")));
        assertTrue(e.getMessage().contains("32000") && e.getMessage().contains(String.valueOf(brown.vocabSize())), e.getMessage());
    }
}
