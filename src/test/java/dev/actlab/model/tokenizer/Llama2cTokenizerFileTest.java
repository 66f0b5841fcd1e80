package dev.actlab.model.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * llama2.c's tokenizer.bin (the Llama 2 vocabulary, from karpathy/llama2.c) read by actlab, against the ids
 * llama2.c's own C encoder gives (encodings.txt, made by src/test/c/make_llama2c_fixture.sh from run.c).
 */
class Llama2cTokenizerFileTest {
    static final Path DIR = Path.of("src/test/resources/llama2c");

    static String unescape(String line) { return line.replace("\\n", "\n"); }

    @Test void encodesAsLlama2cDoes() throws Exception {
        Tokenizer t = Llama2cTokenizerFile.read(DIR.resolve("tokenizer.bin"));
        assertEquals(32000, t.vocabSize());
        assertEquals(1, t.bosId());
        assertEquals(2, t.eosId());
        List<String> texts = Files.readAllLines(DIR.resolve("llama2c_texts.txt"), StandardCharsets.UTF_8);
        List<String> expected = Files.readAllLines(DIR.resolve("encodings.txt"));
        assertEquals(texts.size(), expected.size());
        int tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            String text = unescape(texts.get(i));
            int[] want = Arrays.stream(expected.get(i).trim().split(" ")).mapToInt(Integer::parseInt).toArray();
            int[] got = t.encode(text, true);
            assertArrayEquals(want, got, "line " + (i + 1) + " '" + text + "': llama2.c " + Arrays.toString(want) + ", actlab " + Arrays.toString(got));
            tokens += got.length;
        }
        System.out.println("llama2.c tokenizer.bin: " + texts.size() + " texts, " + tokens + " ids identical to llama2.c's run.c encode");
        // test.c's own first case: the Llama 2 ids Meta's example gives
        assertArrayEquals(new int[]{1, 306, 4658, 278, 6593, 310, 2834, 338}, t.encode("I believe the meaning of life is", true));
        assertArrayEquals(new int[]{1}, t.encode("", true));
    }

    @Test void decodesBackToTheText() throws Exception {
        Tokenizer t = Llama2cTokenizerFile.read(DIR.resolve("tokenizer.bin"));
        for (String line : Files.readAllLines(DIR.resolve("llama2c_texts.txt"), StandardCharsets.UTF_8)) {
            String text = unescape(line);
            if (text.startsWith(" ")) continue;   // SentencePiece decoding drops one leading space (the dummy prefix's)
            assertEquals(text, t.decode(t.encode(text, true)), "round trip of '" + text + "'");
        }
        assertEquals("<s>", t.piece(1));
        assertEquals("\u2581the", t.piece(278));
    }

    @Test void damagedFilesAreFormatErrorsNamingTheFile(@TempDir Path tmp) throws Exception {
        byte[] good = Files.readAllBytes(DIR.resolve("tokenizer.bin"));
        Path cut = tmp.resolve("cut.bin");
        Files.write(cut, Arrays.copyOf(good, 1000));
        FormatException e = assertThrows(FormatException.class, () -> Llama2cTokenizerFile.read(cut));
        assertTrue(e.getMessage().contains("cut.bin") && e.getMessage().contains("token"), e.getMessage());
        Path json = tmp.resolve("notatokenizer.bin");
        Files.writeString(json, "hello world, not a tokenizer");
        e = assertThrows(FormatException.class, () -> Llama2cTokenizerFile.read(json));
        assertTrue(e.getMessage().contains("notatokenizer.bin") && e.getMessage().contains("max_token_length"), e.getMessage());
        Path empty = tmp.resolve("empty.bin");
        Files.write(empty, new byte[0]);
        assertThrows(FormatException.class, () -> Llama2cTokenizerFile.read(empty));
    }
}
