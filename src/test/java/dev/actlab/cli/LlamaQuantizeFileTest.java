package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `actlab convert` on models/actlab-brown.gguf writes the very file llama-quantize writes from it: the
 * sha256 of the whole output (metadata, tensor infos, data, padding) against that of llama-quantize's
 * (fixture: scripts/fixtures/llamaquantize_files.py, llama.cpp ggml 0.9.7), for the six 32-block types
 * as `llama-quantize --pure` and the five K-quants as llama-quantize's default mixture (`--mixture`;
 * --pure aborts on the model's 192-column rows), each with and without `--imatrix` (importance-weighted
 * K-quant, IQ4_NL, Q4_0, Q4_1, Q5_0 and Q5_1 quantizers, and the quantize.imatrix.* keys).
 */
class LlamaQuantizeFileTest {
    @TempDir Path dir;

    private static final Path FIXTURE = Path.of("src/test/resources/gguf/llama-quantize-brown-sha256.txt");

    @Test
    void everyTypeGivesLlamaQuantizesWholeFile() throws Exception {
        List<String> lines = Files.readAllLines(FIXTURE);
        assertEquals(22, lines.size());
        int compared = 0;
        for (String line : lines) {
            String[] f = line.split(" ");   // TYPE pure|mixture IMATRIX|- SHA256 SIZE
            String type = f[0], imatrix = f[2];
            Path out = dir.resolve(type + (imatrix.equals("-") ? "" : "-imatrix") + ".gguf");
            List<String> args = new java.util.ArrayList<>(List.of("convert", "--model", "models/actlab-brown.gguf", "--dtype", type, "--out", out.toString()));
            if (f[1].equals("mixture")) args.add("--mixture");
            if (!imatrix.equals("-")) args.addAll(List.of("--imatrix", imatrix));
            var r = CliMessagesTest.run(args.toArray(String[]::new));
            assertEquals(0, r.code(), line + ": " + r.err());
            assertEquals(Long.parseLong(f[4]), Files.size(out), line);
            assertEquals(f[3], sha256(out), line);
            compared++;
        }
        assertEquals(22, compared);
    }

    @Test
    void anImatrixThatDoesNotFitTheModelIsRefusedNamingFileAndEntry() throws Exception {
        var missing = CliMessagesTest.run("convert", "--model", "models/actlab-brown.gguf", "--dtype", "Q6_K", "--out", dir.resolve("a.gguf").toString(),
                "--imatrix", "src/test/resources/gguf/kquant-rows.imatrix");
        assertEquals(2, missing.code(), missing.err());
        assertTrue(missing.err().contains("kquant-rows.imatrix") && missing.err().contains("no entry for blk.0.attn_q.weight"), missing.err());
        var length = CliMessagesTest.run("convert", "--model", "models/actlab-brown.gguf", "--dtype", "Q6_K", "--out", dir.resolve("b.gguf").toString(),
                "--imatrix", "src/test/resources/gguf/kquant-model.imatrix");
        assertEquals(2, length.code(), length.err());
        assertTrue(length.err().contains("kquant-model.imatrix") && length.err().contains("values of blk.0.attn_q.weight at offset ")
                && length.err().contains("256 values") && length.err().contains("192 input columns"), length.err());
        // the offset named is that of the entry's value count: after its name and its call count
        byte[] file = Files.readAllBytes(Path.of("src/test/resources/gguf/kquant-model.imatrix"));
        long at = indexOf(file, "blk.0.attn_q.weight".getBytes(java.nio.charset.StandardCharsets.UTF_8)) + 19 + 4;
        assertTrue(length.err().contains("at offset " + at + ":"), at + " " + length.err());
        assertFalse(Files.exists(dir.resolve("a.gguf")) || Files.exists(dir.resolve("b.gguf")));
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }
}
