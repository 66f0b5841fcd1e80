package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufTensorInfo;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.tensor.TwoFourF32Matrix;
import dev.actlab.tensor.WeightMatrix;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** synth --two-four, bench --two-four, and the usage errors of train --keep-zeros. */
class TwoFourCommandsTest {
    @Test
    void synthWritesA2to4FileThatLoadsCompressedAndBenchComparesBothPaths(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tq-24.gguf");
        TrainCommandTest.Result s = TrainCommandTest.run("synth", "--shape", "tiny-quant", "--dtype", "F32", "--two-four", "--out", file.toString(), "--json");
        assertEquals(0, s.code(), s.err());
        assertTrue(new ObjectMapper().readTree(s.out()).get("two_four").asBoolean());
        LlamaModel m = ModelLoader.loadDecoder(file);
        LlamaWeights w = m.weights();
        for (WeightMatrix[] ms : new WeightMatrix[][]{w.wq(), w.wk(), w.wv(), w.wo(), w.wGate(), w.wUp(), w.wDown()})
            for (WeightMatrix x : ms) assertInstanceOf(TwoFourF32Matrix.class, x);
        assertFalse(w.output() instanceof TwoFourF32Matrix);
        GgufTensorInfo out = GgufFile.open(file).tensor("output.weight");
        assertNotNull(out, "tiny-quant has an untied unembedding, written dense");

        TrainCommandTest.Result b = TrainCommandTest.run("bench", "--model", file.toString(), "--two-four", "--rounds", "2",
                "--prompt-tokens", "4", "--gen-tokens", "4", "--threads", "2", "--json");
        assertEquals(0, b.code(), b.err());
        JsonNode j = new ObjectMapper().readTree(b.out());
        int layers = m.config().layers();
        assertEquals(7 * layers, j.get("compressed_matrices").asInt());
        assertFalse(j.get("pruned_in_memory").asBoolean());
        assertEquals(2, j.get("dense_decode_tokens_per_second").size());
        for (String k : new String[]{"dense", "two_four"})
            assertTrue(j.get(k).get("best").asDouble() >= j.get(k).get("median").asDouble() && j.get(k).get("median").asDouble() > 0, k);
        long dense = j.get("dense_bytes_per_token").asLong(), sparse = j.get("two_four_bytes_per_token").asLong();
        assertEquals(w.bytesPerToken(), sparse);
        assertEquals((double) dense / sparse, j.get("speedup_limit").asDouble(), 1e-12);
        assertEquals(j.get("block_matrix_bytes_dense").asLong() - j.get("block_matrix_bytes_compressed").asLong(), j.get("memory_saved_bytes").asLong());
        assertEquals(dense - sparse, j.get("memory_saved_bytes").asLong(), "the block matrices are all the difference");
    }

    @Test
    void keepZerosNeedsAPrunedFromModelWithoutQat(@TempDir Path dir) throws Exception {
        Path corpus = dir.resolve("c.txt");
        Files.writeString(corpus, TrainCommandTest.TEXT, StandardCharsets.UTF_8);
        TrainCommandTest.Result r = TrainCommandTest.run("train", "--corpus", corpus.toString(), "--keep-zeros", "--tokens", "256", "--out", dir.resolve("a").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--keep-zeros fine-tunes a pruned --from model"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace");
        // the dense default decoder has no zeros to keep
        r = TrainCommandTest.run("train", "--corpus", corpus.toString(), "--from", "models/actlab-brown.gguf", "--keep-zeros", "--tokens", "256",
                "--ctx", "16", "--batch", "2", "--out", dir.resolve("b").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("has no exact zeros in its block linears"), r.err());
    }
}
