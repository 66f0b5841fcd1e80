package dev.actlab.model.gguf;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama2c.Llama2cReader;
import dev.actlab.model.tokenizer.Tokenizer;
import dev.actlab.tensor.DType;
import dev.actlab.testutil.Shared;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A GGUF that carries tokenizer.ggml.* metadata loads with its tokenizer; one without loads without. */
class GgufTokenizerWiringTest {
    @TempDir Path dir;

    @Test
    void theLoaderAttachesTheFilesTokenizer() throws Exception {
        LlamaModel base = Llama2cReader.read(Shared.stories260K());
        // a GPT-2 style byte-level vocabulary: the 256 byte symbols, two merges and an end token (< 512 = model vocab)
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) tokens.add(byteSymbol(b));
        tokens.add("he");
        tokens.add("Ġt");
        tokens.add("<|end|>");
        GgufWriter w = GgufLlamaWriter.export(base, DType.F32, "stories260K-with-tokenizer")
                .put("tokenizer.ggml.model", GgufValue.string("gpt2"))
                .put("tokenizer.ggml.pre", GgufValue.string("gpt2"))
                .put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens.toArray(String[]::new)))
                .put("tokenizer.ggml.merges", GgufValue.array(GgufValueType.STRING, new String[]{"h e", "Ġ t"}))
                .put("tokenizer.ggml.eos_token_id", GgufValue.u32(258))
                .put("tokenizer.ggml.bos_token_id", GgufValue.u32(258));
        Path file = dir.resolve("m.gguf");
        w.write(file);

        LlamaModel m = ModelLoader.loadDecoder(file);
        Tokenizer t = m.tokenizer();
        assertNotNull(t, "tokenizer from GGUF metadata");
        int[] ids = t.encode("the test", false);
        assertArrayEquals(new int[]{'t', 256, 257, 'e', 's', 't'}, ids);
        assertEquals("the test", t.decode(ids));
        assertEquals(258, t.eosId());
        float[] a = m.runWithHooks(ids, Hooks.none()), b = base.runWithHooks(ids, Hooks.none());
        assertArrayEquals(b, a, "same weights, same logits");

        Path bare = dir.resolve("bare.gguf");
        GgufLlamaWriter.export(base, DType.F32, "no-tokenizer").write(bare);
        assertNull(ModelLoader.loadDecoder(bare).tokenizer());
    }

    /** GPT-2's printable stand-in for a byte (printable ASCII and Latin-1 map to themselves, the rest to U+0100 upward). */
    private static String byteSymbol(int b) {
        boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        if (printable) return new String(new byte[]{(byte) b}, StandardCharsets.ISO_8859_1);
        int n = 0;
        for (int i = 0; i < b; i++) {
            boolean p = (i >= '!' && i <= '~') || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE && i <= 0xFF);
            if (!p) n++;
        }
        return String.valueOf((char) (256 + n));
    }
}
