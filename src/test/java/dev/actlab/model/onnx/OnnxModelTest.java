package dev.actlab.model.onnx;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import dev.actlab.model.onnx.MiniLm;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The hand-written ONNX protobuf reader on the real MiniLM file, whole and damaged. */
class OnnxModelTest {
    static byte[] bytes;
    static final Path NAME = Path.of("all-minilm-l6-v2.onnx");

    @BeforeAll static void load() throws Exception { bytes = MiniLm.resource(MiniLm.ONNX_RESOURCE); }

    @Test void readsGraphAndInitializers() throws Exception {
        OnnxModel m = OnnxModel.parse(NAME, bytes);
        assertEquals(java.util.List.of("input_ids", "attention_mask", "token_type_ids"), m.graphInputs());
        assertEquals(java.util.List.of("last_hidden_state"), m.graphOutputs());
        OnnxTensor word = m.initializers().get("embeddings.word_embeddings.weight");
        assertArrayEquals(new long[]{30522, 384}, word.dims());
        assertEquals(30522 * 384, m.floats(word).length);
        long matmuls = m.initializers().keySet().stream().filter(n -> n.startsWith("onnx::MatMul_")).count();
        assertEquals(36, matmuls, "6 anonymous MatMul weights per layer");
        var loaded = OnnxBertReader.read(m, 1e-12f);
        assertEquals(6, loaded.config().layers());
        assertEquals(12, loaded.config().heads());
        assertEquals(1536, loaded.config().dMlp());
    }

    @Test void truncatedFileIsAFormatExceptionWithFieldAndOffset() {
        for (int cut : new int[]{10, 1000, 5_000_000, bytes.length - 7}) {
            byte[] part = Arrays.copyOf(bytes, cut);
            FormatException e = assertThrows(FormatException.class, () -> OnnxBertReader.read(OnnxModel.parse(NAME, part), 1e-12f), "cut at " + cut);
            assertTrue(e.getMessage().startsWith(NAME.toString()), e.getMessage());
            assertTrue(e.offset() >= 0 && e.offset() <= cut, e.getMessage());
        }
    }

    @Test void garbageIsAFormatExceptionNotACrash() {
        SplittableRandom r = new SplittableRandom(5);
        for (int trial = 0; trial < 20; trial++) {
            byte[] junk = new byte[1 + r.nextInt(4096)];
            for (int i = 0; i < junk.length; i++) junk[i] = (byte) r.nextInt(256);
            assertThrows(FormatException.class, () -> OnnxBertReader.read(OnnxModel.parse(NAME, junk), 1e-12f));
        }
        // a flipped length byte inside the graph: either caught as malformed or as a graph that is not BERT
        byte[] corrupt = bytes.clone();
        corrupt[corrupt.length / 2] ^= (byte) 0xFF;
        corrupt[corrupt.length / 3] ^= (byte) 0x7F;
        try { OnnxBertReader.read(OnnxModel.parse(NAME, corrupt), 1e-12f); }
        catch (FormatException expected) { assertTrue(expected.getMessage().startsWith(NAME.toString())); }
    }
}
