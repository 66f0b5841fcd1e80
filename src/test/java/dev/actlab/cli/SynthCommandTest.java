package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.tensor.DType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `actlab synth`: a loadable model of the requested shape and type, the same bytes for the same seed. */
class SynthCommandTest {
    @TempDir Path dir;

    int run(String... args) {
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(new StringWriter()));
        return cl.execute(args);
    }

    @Test
    void tinyQ4_0IsDeterministicLoadableAndSane() throws Exception {
        Path a = dir.resolve("a.gguf"), b = dir.resolve("b.gguf"), c = dir.resolve("c.gguf");
        assertEquals(0, run("synth", "--shape", "tiny", "--dtype", "Q4_0", "--out", a.toString(), "--seed", "7"));
        assertEquals(0, run("synth", "--shape", "tiny", "--dtype", "Q4_0", "--out", b.toString(), "--seed", "7"));
        assertEquals(0, run("synth", "--shape", "tiny", "--dtype", "Q4_0", "--out", c.toString(), "--seed", "8"));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)));

        LlamaModel m = ModelLoader.loadDecoder(a);
        assertEquals(dev.actlab.model.llama.LlamaShape.TINY_QUANT.config(), m.config(), "synth's tiny is tiny-quant");
        assertEquals(DType.Q4_0, m.weights().wGate()[0].dtype());
        float[] row = new float[m.config().dim()];
        double sum = 0, sq = 0;
        int n = 0;
        for (int r = 0; r < 64; r++) {
            m.weights().wq()[1].dequantizeRow(r, row, 0);
            for (float v : row) { sum += v; sq += v * v; n++; }
        }
        double std = Math.sqrt(sq / n - (sum / n) * (sum / n));
        assertEquals(0.02, std, 0.003, "weights ~ N(0, 0.02)");
        float[] logits = m.runWithHooks(new int[]{1, 2, 3, 4}, Hooks.none());
        for (float v : logits) assertTrue(Float.isFinite(v) && Math.abs(v) < 100, "logit " + v);
    }

    @Test
    void badOptionsAreOneLineErrors() {
        assertEquals(2, run("synth", "--shape", "7B", "--out", dir.resolve("x.gguf").toString()));
        assertEquals(2, run("synth", "--shape", "tiny", "--dtype", "IQ2_XS", "--out", dir.resolve("x.gguf").toString()));
    }

    /**
     * The file carries the SentencePiece tokenizer llama.cpp's "llama" vocabulary loader reads (without
     * it llama.cpp refuses the file: "key not found: tokenizer.ggml.model"): one token per row of
     * token_embd, unique, <unk> <s> </s> with their types and ids, the 256 byte-fallback tokens
     * (type 6, <0x0A> for llama.cpp's newline token); actlab builds a tokenizer from it that encodes
     * any text and decodes it back.
     */
    @Test
    void synthFilesCarryALlamaCppSentencePieceTokenizer() throws Exception {
        Path a = dir.resolve("a.gguf");
        assertEquals(0, run("synth", "--shape", "260K", "--dtype", "F32", "--out", a.toString()));
        var f = dev.actlab.model.gguf.GgufFile.open(a);
        int vocab = dev.actlab.model.llama.LlamaShape.STORIES_260K.config().vocabSize();
        assertEquals("llama", f.string("tokenizer.ggml.model", null));
        String[] tokens = ((java.util.List<?>) f.metadata().get("tokenizer.ggml.tokens")).toArray(String[]::new);
        float[] scores = (float[]) f.metadata().get("tokenizer.ggml.scores");
        int[] types = (int[]) f.metadata().get("tokenizer.ggml.token_type");
        assertEquals(vocab, f.require("token_embd.weight").dims()[1]);
        assertEquals(vocab, tokens.length);
        assertEquals(vocab, scores.length);
        assertEquals(vocab, types.length);
        assertEquals(vocab, new java.util.HashSet<>(java.util.List.of(tokens)).size(), "unique tokens");
        assertEquals(1L, f.integer("tokenizer.ggml.bos_token_id"));
        assertEquals(2L, f.integer("tokenizer.ggml.eos_token_id"));
        assertEquals(0L, f.integer("tokenizer.ggml.unknown_token_id"));
        assertEquals(java.util.List.of("<unk>", "<s>", "</s>"), java.util.List.of(tokens).subList(0, 3));
        assertArrayEquals(new int[]{2, 3, 3}, java.util.Arrays.copyOf(types, 3), "unknown, control, control");
        int bytes = 0;
        for (int i = 0; i < vocab; i++)
            if (types[i] == 6) { assertEquals(String.format("<0x%02X>", bytes), tokens[i]); bytes++; }
            else assertTrue(i < 3 || types[i] == 1, "token " + i + " is normal");
        assertEquals(256, bytes);

        LlamaModel m = ModelLoader.loadDecoder(a);
        var t = m.tokenizer();
        assertNotNull(t);
        String text = "Hello, world!\nA café costs 3 € ☕";
        int[] ids = t.encode(text, true);
        assertEquals(1, ids[0], "BOS first");
        assertEquals(text, t.decode(java.util.Arrays.copyOfRange(ids, 1, ids.length)));
        assertTrue(ids.length < text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, "pieces merge: " + ids.length + " ids");
        for (float v : m.runWithHooks(ids, Hooks.none())) assertTrue(Float.isFinite(v));
        // llama.cpp itself loaded this file (seed 0) and tokenized the text so (src/test/node/llamacpp_synth_check.mjs)
        int[] llamaCpp = {259, 299, 328, 335, 335, 338, 271, 376, 338, 341, 335, 327, 260, 13, 292, 356, 391, 198, 172};
        assertArrayEquals(llamaCpp, t.encode("Hello, world!\nA café", false), "the same ids as llama.cpp");

        // the largest vocabulary synth writes (Llama 3.2 1B's) is unique too
        var big = dev.actlab.model.tokenizer.SyntheticVocabulary.of(128256);
        assertEquals(128256, new java.util.HashSet<>(big.tokens()).size());
    }

    static boolean ggufPyAvailable() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import gguf").redirectErrorStream(true).start();
            return p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    /** Extra, when python3 has gguf-py: llama.cpp's own reader sees the keys with the kinds llama.cpp reads. */
    @Test
    void ggufPyReadsTheTokenizerKeys() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(ggufPyAvailable(),
                "skipped: python3 with gguf-py (pip install gguf) is not available");
        Path a = dir.resolve("tiny.gguf");
        assertEquals(0, run("synth", "--shape", "tiny-quant", "--dtype", "Q8_0", "--out", a.toString()));
        Process p = new ProcessBuilder("python3", "src/test/python/synth_tokenizer_ggufpy.py", a.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        var j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out);
        assertEquals(1024, j.get("vocab").asInt());
        assertEquals(256, j.get("byte_tokens").asInt());
        assertEquals("<s>", j.get("bos_token").asText());
        assertEquals("</s>", j.get("eos_token").asText());
    }
}
