package dev.actlab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actlab.model.gguf.RandomLlamaGguf;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.Q4_0Matrix;
import dev.actlab.tensor.Q8_0Matrix;
import dev.actlab.tensor.WeightMatrix;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quantized GGUF weights are executed from the memory-mapped file, not copied to the heap: every matrix
 * of a loaded Q8_0 / Q4_0 model is a view of a mapped segment, and loading grows the heap by far less than
 * the weights' size. And the kernel's resident-set figures are read as the kernel defines them.
 */
class ResidentMemoryTest {
    @TempDir Path dir;

    /** ~36M parameters: 38 MB in Q8_0, 20 MB in Q4_0 (an untied unembedding, so two vocabulary matrices). */
    static final LlamaConfig SHAPE = new LlamaConfig("llama", 512, 1536, 8, 8, 8, 8192, 256, 1e-5f, 10000f, false, null, false);

    static long heapUsedAfterGc() {
        for (int i = 0; i < 3; i++) System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static List<WeightMatrix> matrices(LlamaWeights w) {
        List<WeightMatrix> all = new ArrayList<>(List.of(w.tokenEmbedding(), w.output()));
        for (WeightMatrix[] layer : List.of(w.wq(), w.wk(), w.wv(), w.wo(), w.wGate(), w.wUp(), w.wDown())) all.addAll(List.of(layer));
        return all;
    }

    @Test
    void quantizedWeightsStayInTheMappedFile() throws Exception {
        for (DType type : new DType[]{DType.Q8_0, DType.Q4_0}) {
            Path file = dir.resolve("random-" + type + ".gguf");
            RandomLlamaGguf.writer(SHAPE, type, 3, "mapped-weights-test").write(file);
            long fileBytes = Files.size(file);
            long before = heapUsedAfterGc();
            LlamaModel m = ModelLoader.loadDecoder(file, false);
            long after = heapUsedAfterGc();
            long weightBytes = 0;
            for (WeightMatrix w : matrices(m.weights())) {
                weightBytes += w.byteSize();
                var segment = type == DType.Q8_0 ? assertInstanceOf(Q8_0Matrix.class, w).segment() : assertInstanceOf(Q4_0Matrix.class, w).segment();
                assertTrue(segment.isMapped() && segment.heapBase().isEmpty(), type + ": a matrix is not a view of the mapped file");
            }
            assertTrue(weightBytes > 0.95 * fileBytes, type + ": " + weightBytes + " weight bytes of a " + fileBytes + "-byte file");
            assertTrue(after - before < 0.25 * weightBytes, type + ": loading grew the heap by " + (after - before) + " bytes for " + weightBytes + " bytes of weights");
            float[] logits = m.forward(m.newCache(), new int[]{1, 2, 3}, Hooks.none(), false);
            assertEquals(SHAPE.vocabSize(), logits.length);
            Reference.reachabilityFence(m);
        }
    }

    /** The kernel's identity VmRSS = RssAnon + RssFile + RssShmem, VmHWM at least VmRSS; sizes in bytes. */
    @Test
    void readsTheKernelsFigures() {
        Path status = Path.of("/proc/self/status");
        Assumptions.assumeTrue(Files.isReadable(status), "skipped: no /proc/self/status (not Linux)");
        ResidentMemory r = ResidentMemory.now();
        Map<String, Long> kb = ResidentMemory.status(status);
        long shmem = kb.getOrDefault("RssShmem", 0L) * 1024;
        // two reads a moment apart: allow the pages the JVM touched in between
        assertEquals(r.rssBytes(), r.anonBytes() + r.fileBytes() + shmem, 16 << 20);
        assertTrue(r.peakRssBytes() >= r.rssBytes() && r.rssBytes() > r.heapUsedBytes() / 2, r.toString());
        Map<String, Object> j = r.toJson(1000, 900);
        assertEquals((double) r.peakRssBytes() / 1000, (Double) j.get("peak_rss_over_model"), 1e-12);
        assertTrue(r.line(1000, 900).contains("model file"));
        assertTrue(r.line(-1, 900).contains("weights"));
    }
}
