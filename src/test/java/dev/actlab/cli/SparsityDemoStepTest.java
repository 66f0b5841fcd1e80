package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparsityDemoStepTest {
    @Test
    void reportsPerplexityCostAndMeasuredSpeedupSideBySide(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isRegularFile(Path.of("models/actlab-brown.gguf")), "skipped: the default decoder is absent");
        assertTrue(DemoCommand.steps().stream().anyMatch(s -> s instanceof SparsityDemoStep));
        Map<String, Object> r = new SparsityDemoStep().run(new DemoContext(dir, System.out, 2));
        double dense = (Double) r.get("dense_perplexity"), sparse = (Double) r.get("sparse_perplexity");
        assertTrue(sparse > dense && sparse < 1.3 * dense, dense + " -> " + sparse);
        assertEquals(0.5, (Double) r.get("measured_mean_site_sparsity"), 0.05);
        assertTrue((Double) r.get("speedup") > 0 && (Double) r.get("speedup_limit") > 1.3, r.toString());
    }
}
