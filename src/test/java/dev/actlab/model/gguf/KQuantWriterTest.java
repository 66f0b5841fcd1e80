package dev.actlab.model.gguf;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.llama.LlamaModel;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.WeightMatrix;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * actlab's K-quant writers against llama.cpp's llama-quantize, byte for byte (fixtures from
 * scripts/fixtures/kquant_llamacpp.py, which runs llama-quantize; provenance there):
 * <ul>
 * <li>real weight rows (actlab-brown's ffn_down rows, plus an all-zero row and a row whose first half is
 *     zero and second half below the 1e-15 group threshold), with and without an imatrix;</li>
 * <li>a whole model (every matrix 256 columns), with and without an imatrix: the sha256 of all tensor
 *     data equals that of llama-quantize --pure's output (the headers differ: llama-quantize adds
 *     general.file_type and general.quantization_version);</li>
 * <li>rows that are not whole 256-blocks: llama-quantize --pure aborts on them (GGML_ASSERT), without
 *     --pure it falls back (Q6_K to Q8_0, ...); actlab writes the same fallback.</li>
 * </ul>
 */
class KQuantWriterTest {
    @TempDir Path dir;

    static Path resource(String name) throws Exception {
        return Path.of(KQuantWriterTest.class.getResource("/gguf/" + name).toURI());
    }

    /** A legacy llama.cpp imatrix file: tensor name to sums / ncall, as llama-quantize reads it. */
    static Map<String, float[]> legacyImatrix(Path p) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, float[]> m = new LinkedHashMap<>();
        int entries = b.getInt();
        for (int e = 0; e < entries; e++) {
            byte[] name = new byte[b.getInt()];
            b.get(name);
            int ncall = b.getInt(), nval = b.getInt();
            float[] v = new float[nval];
            for (int i = 0; i < nval; i++) { v[i] = b.getFloat(); if (ncall > 0) v[i] /= ncall; }
            m.put(new String(name, StandardCharsets.UTF_8), v);
        }
        return m;
    }

    /** Row r of a float32 tensor of the file. */
    static GgufWriter.Rows rows(GgufFile f, GgufTensorInfo t) throws Exception {
        WeightMatrix w = f.matrix(t.name(), (int) t.dims()[1], (int) t.dims()[0]);
        return (r, dst) -> w.dequantizeRow((int) r, dst, 0);
    }

    @ParameterizedTest
    @CsvSource({"Q2_K,false", "Q3_K,false", "Q4_K,false", "Q5_K,false", "Q6_K,false",
                "Q2_K,true", "Q3_K,true", "Q4_K,true", "Q5_K,true", "Q6_K,true"})
    void realRowsEqualLlamaQuantize(String type, boolean withImatrix) throws Exception {
        GgufFile in = GgufFile.open(resource("kquant-rows-f32.gguf"));
        GgufFile expected = GgufFile.open(resource("kquant-rows-" + type + (withImatrix ? "-imatrix" : "") + ".gguf"));
        Map<String, float[]> imatrix = withImatrix ? legacyImatrix(resource("kquant-rows.imatrix")) : Map.of();
        GgufWriter w = new GgufWriter();
        for (GgufTensorInfo t : in.tensors())
            w.tensor(t.name(), DType.valueOf(type), t.dims(), rows(in, t), imatrix.get(t.name()));
        Path out = dir.resolve("rows.gguf");
        w.write(out);
        GgufFile actual = GgufFile.open(out);
        for (GgufTensorInfo t : expected.tensors()) {
            GgufTensorInfo a = actual.tensor(t.name());
            assertEquals(t.type(), a.type(), t.name());
            long at = actual.data(a).mismatch(expected.data(t));
            assertEquals(-1, at, type + (withImatrix ? " with imatrix " : " ") + t.name() + ": first different byte at " + at
                    + " (block " + (at / t.type().blockBytes) + ")");
        }
    }

    static String tensorDataSha(Path p) throws Exception {
        GgufFile f = GgufFile.open(p);
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        List<GgufTensorInfo> byName = new java.util.ArrayList<>(f.tensors());
        byName.sort(java.util.Comparator.comparing(GgufTensorInfo::name));   // llama-quantize reorders tensors
        for (GgufTensorInfo t : byName) md.update(f.data(t).asByteBuffer());
        return HexFormat.of().formatHex(md.digest());
    }

    static String expectedSha(String key) throws Exception {
        for (String line : Files.readAllLines(resource("kquant-model-sha256.txt")))
            if (line.startsWith(key + " ")) return line.substring(line.lastIndexOf(' ') + 1);
        throw new AssertionError("no line " + key);
    }

    @ParameterizedTest
    @CsvSource({"Q2_K,false", "Q3_K,false", "Q4_K,false", "Q5_K,false", "Q6_K,false",
                "Q2_K,true", "Q3_K,true", "Q4_K,true", "Q5_K,true", "Q6_K,true"})
    void wholeModelEqualsLlamaQuantize(String type, boolean withImatrix) throws Exception {
        // the input llama-quantize saw: kquant-Q4_K.gguf as F32 (actlab convert --dtype F32)
        LlamaModel m = GgufLlamaLoader.load(GgufFile.open(resource("kquant-Q4_K.gguf")));
        Path f32 = dir.resolve("f32.gguf");
        GgufLlamaWriter.export(m, DType.F32, "kquant-Q4_K").write(f32);
        assertEquals(expectedSha("F32 input"), tensorDataSha(f32), "the F32 model is the one llama-quantize quantized");

        Map<String, float[]> imatrix = withImatrix ? legacyImatrix(resource("kquant-model.imatrix")) : Map.of();
        Path out = dir.resolve(type + ".gguf");
        GgufLlamaWriter.export(m, DType.valueOf(type), "kquant-Q4_K", imatrix).write(out);
        GgufFile q = GgufFile.open(out);
        for (GgufTensorInfo t : q.tensors())
            assertEquals(t.dims().length == 2 ? GgmlType.valueOf(type) : GgmlType.F32, t.type(), t.name());
        assertEquals(expectedSha(type + (withImatrix ? " imatrix" : " plain")), tensorDataSha(out));
    }

    @Test
    void rowsThatAreNotWholeBlocksFallBackAsLlamaQuantizeDoes() throws Exception {
        GgufFile in = GgufFile.open(resource("kquant-fallback-f32.gguf"));
        GgufFile expected = GgufFile.open(resource("kquant-fallback-Q6_K.gguf"));
        GgufWriter w = new GgufWriter();
        for (GgufTensorInfo t : in.tensors())
            w.tensor(t.name(), GgufWriter.fittingType(DType.Q6_K, t.dims()[0]), t.dims(), rows(in, t));
        Path out = dir.resolve("fallback.gguf");
        w.write(out);
        GgufFile actual = GgufFile.open(out);
        assertEquals(GgmlType.Q8_0, expected.tensor("blk.0.attn_q.weight").type(), "llama-quantize's fallback for 192 columns");
        for (GgufTensorInfo t : expected.tensors()) {
            GgufTensorInfo a = actual.tensor(t.name());
            assertEquals(t.type(), a.type(), t.name());
            assertEquals(-1, actual.data(a).mismatch(expected.data(t)), t.name());
        }
        // the other K-quants' fallbacks: llama-quantize's type when actlab writes it, else none (the caller's F16)
        for (DType k : List.of(DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K)) {
            DType f = GgufWriter.fittingType(k, 192);
            String llama = switch (k) { case Q4_K -> "Q5_0"; case Q5_K -> "Q5_1"; default -> "IQ4_NL"; };
            if (f != null) assertEquals(llama, f.name(), k + " falls back to llama-quantize's type");
        }
        assertNull(GgufWriter.fittingType(DType.Q4_K, 100), "no K-quant fallback fits 100 columns (Q8_0 needs 32s)");
        assertEquals(DType.F16, GgufLlamaWriter.storedType(new GgufLlamaWriter.Slot("w", 4, 100, true), DType.Q6_K));
    }

    /**
     * Q2_K and Q3_K fall back to IQ4_NL for 192 columns: actlab's IQ4_NL bytes equal llama-quantize's, and
     * its decoder gives gguf-py's float32 bits. (Without --pure llama-quantize's mixture rules choose other
     * types for some tensors, e.g. Q3_K for ffn_down in a Q2_K file; only its IQ4_NL tensors are compared.)
     */
    @ParameterizedTest
    @CsvSource({"Q2_K", "Q3_K"})
    void lowBitKQuantsFallBackToIq4NlAsLlamaQuantizeDoes(String type) throws Exception {
        GgufFile in = GgufFile.open(resource("kquant-fallback-f32.gguf"));
        GgufFile expected = GgufFile.open(resource("kquant-fallback-" + type + ".gguf"));
        GgufWriter w = new GgufWriter();
        for (GgufTensorInfo t : in.tensors())
            w.tensor(t.name(), GgufWriter.fittingType(DType.valueOf(type), t.dims()[0]), t.dims(), rows(in, t));
        Path out = dir.resolve("fallback.gguf");
        w.write(out);
        GgufFile actual = GgufFile.open(out);
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        int compared = 0;
        for (GgufTensorInfo t : expected.tensors()) {
            if (t.type() != GgmlType.IQ4_NL) continue;
            GgufTensorInfo a = actual.tensor(t.name());
            assertEquals(GgmlType.IQ4_NL, a.type(), t.name());
            assertEquals(-1, actual.data(a).mismatch(expected.data(t)), t.name());
            WeightMatrix m = actual.matrix(t.name(), (int) t.dims()[1], (int) t.dims()[0]);
            float[] row = new float[m.cols()];
            ByteBuffer b = ByteBuffer.allocate(4 * m.cols()).order(ByteOrder.LITTLE_ENDIAN);
            for (int r = 0; r < m.rows(); r++) {
                m.dequantizeRow(r, row, 0);
                b.clear();
                for (float v : row) b.putFloat(v);
                md.update(b.flip());
            }
            compared++;
        }
        assertTrue(compared > 0, "llama-quantize wrote IQ4_NL tensors");
        String sha = Files.readAllLines(resource("kquant-fallback-dequant-sha256.txt")).stream()
                .filter(l -> l.startsWith(type + " ")).findFirst().orElseThrow().split(" ")[1];
        assertEquals(sha, HexFormat.of().formatHex(md.digest()), "IQ4_NL decoded bits equal gguf-py's");
    }
}
