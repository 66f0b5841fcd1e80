package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PruneDemoStepTest {
    @Test
    void prunesTheDecoderThreeWaysAndWritesTheChart(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isRegularFile(Path.of("models/actlab-brown.gguf")), "skipped: the default decoder is absent");
        assertTrue(DemoCommand.steps().stream().anyMatch(s -> s instanceof PruneDemoStep));
        long t0 = System.nanoTime();
        Map<String, Object> r = new PruneDemoStep().run(new DemoContext(dir, System.out, 2));
        System.out.printf("prune demo step: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        assumeTrue(!r.containsKey("skipped"), "skipped: no Brown corpus");
        List<?> rows = (List<?>) r.get("results");
        assertEquals(3, rows.size(), "magnitude, wanda, sparsegpt at 50%");
        for (Object o : rows) assertEquals(0.5, (Double) ((Map<?, ?>) o).get("measured_sparsity"), 1e-12, o.toString());
        assertTrue(Files.readString(dir.resolve("prune-decoder/sweep.html")).contains("<svg"));
    }
}
