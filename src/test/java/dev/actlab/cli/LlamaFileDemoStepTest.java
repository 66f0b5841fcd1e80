package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufTensorInfo;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's Q4_K file of the default decoder: the matrix types it reports are those stored in the file
 * it wrote (read back independently), its general.file_type is llama.cpp's Q4_K_M, and the KL statistics
 * are those of a real quantization (positive, finite, most top tokens kept).
 */
class LlamaFileDemoStepTest {
    @Test
    @SuppressWarnings("unchecked")
    void writesTheQ4KFileAndReportsItsTypesAndKld(@TempDir Path dir) throws Exception {
        assertTrue(DemoCommand.steps().stream().anyMatch(s -> s instanceof LlamaFileDemoStep));
        Map<String, Object> r = new LlamaFileDemoStep().run(new DemoContext(dir, System.out, 2));
        if (r.containsKey("skipped")) return;   // no Brown corpus here: nothing to evaluate on
        GgufFile f = GgufFile.open(Path.of((String) r.get("file")));
        Map<String, Integer> stored = new TreeMap<>();
        for (GgufTensorInfo t : f.tensors()) if (t.dims().length == 2) stored.merge(t.type().name(), 1, Integer::sum);
        assertEquals(stored, new TreeMap<>((Map<String, Integer>) r.get("matrices_by_type")));
        assertEquals(15L, f.integer("general.file_type"));
        Map<String, Object> s = (Map<String, Object>) r.get("stats");
        double kld = (Double) s.get("mean_kld"), same = (Double) s.get("same_top_p");
        assertTrue(kld > 0 && Double.isFinite(kld), s.toString());
        assertTrue(same > 0.5 && same < 1, s.toString());
        assertTrue((Double) s.get("p99_kld") >= (Double) s.get("median_kld"), s.toString());
    }
}
