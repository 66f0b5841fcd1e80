package dev.actlab.model.gguf;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.tensor.DType;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * actlab's GGUF writer quantizes Q4_1, Q5_0, Q5_1 and MXFP4 (and Q4_0, Q8_0) to the very bytes of
 * llama.cpp's llama-quantize --pure. Fixtures from src/test/python/make_legacy_quant_fixtures.py:
 * <ul>
 * <li>legacy-quant-rows.gguf: real weight rows of stories260K and edge blocks (zero, constant, ties,
 *     largest magnitude just below a power of two, tiny and large), with llama-quantize's bytes for
 *     each type (gguf-py's numpy quantizers agree, flag test.ggufpy_agrees.TYPE);</li>
 * <li>llama-quantize-stories260K-h160.json: the sha256 of every tensor llama-quantize --pure wrote
 *     for a whole real model (stories260K, FFN cut to 160 units: {@link StoriesH160}), per type.
 *     The file as a whole differs only in what is not quantization: llama-quantize adds the keys
 *     general.quantization_version and general.file_type and orders tensors its own way.</li>
 * </ul>
 */
class LegacyQuantWriterTest {
    @TempDir Path dir;

    static Path resource(String name) throws Exception {
        return Path.of(LegacyQuantWriterTest.class.getResource("/gguf/" + name).toURI());
    }

    static byte[] bytes(GgufFile f, GgufTensorInfo t) { return f.data(t).toArray(ValueLayout.JAVA_BYTE); }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_1", "Q5_0", "Q5_1", "MXFP4", "Q4_0", "Q8_0"})
    void writerGivesLlamaQuantizesBytesForRealRowsAndEdgeBlocks(String type) throws Exception {
        GgufFile fx = GgufFile.open(resource("legacy-quant-rows.gguf"));
        GgufTensorInfo src = fx.require("src");
        int cols = (int) src.dims()[0], rows = (int) src.dims()[1];
        float[] values = new float[rows * cols];
        for (int r = 0; r < rows; r++) fx.matrix("src", rows, cols).dequantizeRow(r, values, r * cols);

        DType t = DType.valueOf(type);
        Path out = dir.resolve(type + ".gguf");
        new GgufWriter().tensor("src", t, new long[]{cols, rows}, (r, dst) -> System.arraycopy(values, (int) r * cols, dst, 0, cols)).write(out);
        GgufFile ours = GgufFile.open(out);
        GgufTensorInfo q = ours.require("src");
        assertEquals(GgmlType.of(t), q.type());
        byte[] expected = bytes(fx, fx.require("src." + type)), got = bytes(ours, q);
        assertEquals(expected.length, got.length);
        int blockBytes = t.blockBytes;
        for (int i = 0; i < expected.length; i++)
            if (expected[i] != got[i])
                fail(type + ": first difference in block " + i / blockBytes + " (row " + i / (blockBytes * cols / 32) + "), byte " + i % blockBytes
                        + ": llama-quantize " + (expected[i] & 0xFF) + ", actlab " + (got[i] & 0xFF));
        assertEquals(true, fx.metadata().get("test.ggufpy_agrees." + type), "gguf-py agreed with llama-quantize when the fixture was made");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_1", "Q5_0", "Q5_1", "MXFP4", "Q4_0", "Q8_0"})
    void convertingAWholeRealModelGivesLlamaQuantizesTensors(String type) throws Exception {
        JsonNode expected = new ObjectMapper().readTree(resource("llama-quantize-stories260K-h160.json").toFile()).get("types").get(type).get("tensors");
        LlamaModel m = StoriesH160.load();
        Path out = dir.resolve("stories260K-h160-" + type + ".gguf");
        GgufLlamaWriter.export(m, DType.valueOf(type), "stories260K-h160").write(out);   // what `actlab convert --dtype TYPE` runs
        GgufFile f = GgufFile.open(out);

        Set<String> names = new TreeSet<>();
        expected.fieldNames().forEachRemaining(names::add);
        Set<String> ours = new TreeSet<>();
        for (GgufTensorInfo t : f.tensors()) ours.add(t.name());
        assertEquals(names, ours, "the same tensors");
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        int quantized = 0;
        for (String name : names) {
            JsonNode e = expected.get(name);
            GgufTensorInfo t = f.require(name);
            assertEquals(e.get("type").asText(), t.type().name(), name);
            long[] dims = t.dims();
            assertEquals(e.get("dims").size(), dims.length, name);
            for (int i = 0; i < dims.length; i++) assertEquals(e.get("dims").get(i).asLong(), dims[i], name + " dim " + i);
            assertEquals(e.get("sha256").asText(), HexFormat.of().formatHex(sha.digest(bytes(f, t))), name + ": the bytes of llama-quantize --pure");
            if (t.type().name().equals(type)) quantized++;
        }
        assertEquals(1 + 7 * m.config().layers(), quantized, "token_embd and 7 matrices per block are " + type);
    }
}
