package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The W8A8 demo step is in the tour and reports both int8 engines' quality and the two shapes' speed. */
class EncoderW8A8DemoStepTest {
    @Test void reportsQualityOfBothInt8EnginesAndSpeed(@TempDir Path dir) throws Exception {
        assertTrue(DemoCommand.steps().stream().anyMatch(s -> s instanceof EncoderW8A8DemoStep));
        long t0 = System.nanoTime();
        Map<String, Object> r = new EncoderW8A8DemoStep().run(new DemoContext(dir, System.out, 2));
        System.out.printf("W8A8 demo step: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        Map<?, ?> actlab = (Map<?, ?>) r.get("actlab_w8a8_vs_actlab_fp32"), ort = (Map<?, ?>) r.get("ort_int8_vs_ort_fp32");
        assertTrue((Double) actlab.get("mean_cosine") > (Double) ort.get("mean_cosine"), actlab + " vs " + ort);
        List<?> shapes = (List<?>) r.get("shapes");
        assertEquals(2, shapes.size(), "throughput and latency");
        for (Object s : shapes) assertEquals(4, ((List<?>) ((Map<?, ?>) s).get("engines")).size());
    }
}
