package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.gguf.GgufValue;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.tensor.DType;
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
            if (type.equals("Q4_K")) args.add("--json");
            var r = CliMessagesTest.run(args.toArray(String[]::new));
            assertEquals(0, r.code(), line + ": " + r.err());
            assertEquals(Long.parseLong(f[4]), Files.size(out), line);
            if (type.equals("Q4_K")) {   // llama.h: LLAMA_FTYPE_MOSTLY_Q4_K_M = 15; the 192-column matrices fall back to Q5_0
                var j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
                assertEquals(15, j.get("file_type").asInt(), r.out());
                assertEquals(28, j.get("matrices_by_type").get("Q5_0").asInt(), r.out());
                assertEquals(Long.parseLong(f[4]), j.get("bytes").asLong(), r.out());
            }
            assertEquals(f[3], sha256(out), line);
            compared++;
        }
        assertEquals(22, compared);
    }

    /**
     * llama-quantize's mixture on a 16-layer model (its rules pick by layer: first and last eighth, every
     * third, first sixteenth; the first eighth of ffn_down in Q4_1/Q5_1 for Q4_0/Q5_0 with an imatrix):
     * the input is rebuilt here byte for byte as the generator wrote it with gguf-py (checked by its sha256).
     */
    @Test
    void theMixtureRulesByLayerGiveLlamaQuantizesFileOnSixteenLayers() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("src/test/resources/gguf/llama-quantize-mixture16-sha256.txt"));
        Path src = dir.resolve("mixture16-f32.gguf");
        mixture16().write(src);
        String[] input = lines.get(0).split(" ");
        assertEquals("F32", input[0]);
        assertEquals(input[1], sha256(src), "the rebuilt input is the generator's");
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(" ");   // TYPE mixture IMATRIX SHA256 SIZE
            Path out = dir.resolve("m16.gguf");
            List<String> args = new java.util.ArrayList<>(List.of("convert", "--model", src.toString(), "--dtype", f[0], "--mixture", "--out", out.toString()));
            if (!f[2].equals("-")) args.addAll(List.of("--imatrix", f[2]));
            var r = CliMessagesTest.run(args.toArray(String[]::new));
            assertEquals(0, r.code(), line + ": " + r.err());
            assertEquals(f[3], sha256(out), line);
            Files.delete(out);
        }
        assertEquals(17, lines.size());
    }

    /** The generator's 16-layer llama (see scripts/fixtures/llamaquantize_files.py), in gguf-py's layout. */
    private static GgufWriter mixture16() {
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.string("llama"));
        w.put("llama.context_length", GgufValue.u32(64));
        w.put("llama.embedding_length", GgufValue.u32(256));
        w.put("llama.block_count", GgufValue.u32(16));
        w.put("llama.feed_forward_length", GgufValue.u32(32));
        w.put("llama.attention.head_count", GgufValue.u32(2));
        w.put("llama.attention.head_count_kv", GgufValue.u32(1));
        w.put("llama.attention.layer_norm_rms_epsilon", GgufValue.f32(1e-5f));
        int[] t = {0};
        java.util.function.BiConsumer<String, int[]> matrix = (name, rc) -> {
            long ti = ++t[0];
            w.tensor(name, DType.F32, new long[]{rc[1], rc[0]}, (r, dst) -> {
                for (int c = 0; c < rc[1]; c++) {
                    long h = (ti * 1000003L + r * 7919L + c * 104729L) % 20011 - 10005;
                    dst[c] = (float) (h / 10005.0) / 16f;
                }
            });
        };
        GgufWriter.Rows ones = (r, dst) -> java.util.Arrays.fill(dst, 1f);
        matrix.accept("token_embd.weight", new int[]{64, 256});
        for (int l = 0; l < 16; l++) {
            String b = "blk." + l + ".";
            w.tensor(b + "attn_norm.weight", DType.F32, new long[]{256}, ones);
            matrix.accept(b + "attn_q.weight", new int[]{256, 256});
            matrix.accept(b + "attn_k.weight", new int[]{128, 256});
            matrix.accept(b + "attn_v.weight", new int[]{128, 256});
            matrix.accept(b + "attn_output.weight", new int[]{256, 256});
            w.tensor(b + "ffn_norm.weight", DType.F32, new long[]{256}, ones);
            matrix.accept(b + "ffn_gate.weight", new int[]{32, 256});
            matrix.accept(b + "ffn_up.weight", new int[]{32, 256});
            matrix.accept(b + "ffn_down.weight", new int[]{256, 32});
        }
        w.tensor("output_norm.weight", DType.F32, new long[]{256}, ones);
        return w;
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
        var encoder = CliMessagesTest.run("convert", "--model", "minilm", "--out", dir.resolve("c.gguf").toString(), "--mixture");
        assertEquals(2, encoder.code(), encoder.err());
        assertTrue(encoder.err().contains("--mixture and --imatrix apply to decoders"), encoder.err());
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
