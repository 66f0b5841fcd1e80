package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's probe step: whether a token is inside a quotation is not in the token embedding but is read from later layers. */
class ProbeDemoStepTest {
    @TempDir Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void quotationIsReadFromTheResidualStreamNotTheEmbedding() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Map<String, Object> r = new ProbeDemoStep().run(new DemoContext(dir, new PrintStream(buf, true, StandardCharsets.UTF_8), 2));
        System.out.println(buf.toString(StandardCharsets.UTF_8));
        List<Map<String, Object>> sites = (List<Map<String, Object>>) r.get("sites");
        assertEquals(6, sites.size(), "blocks.0.hook_resid_pre and five hook_resid_post");
        assertEquals("blocks.0.hook_resid_pre", sites.get(0).get("site"));
        double embedding = (Double) sites.get(0).get("logistic_auroc"), best = 0;
        for (Map<String, Object> s : sites.subList(1, 6)) best = Math.max(best, (Double) s.get("logistic_auroc"));
        assertTrue(best > 0.9 && best > embedding + 0.1, "the residual stream after attention knows, the embedding less: " + sites);
        for (Map<String, Object> s : sites) assertEquals(0.5, (Double) s.get("shuffled_labels_auroc"), 0.1, "shuffled labels: chance " + s);
        assertTrue(Files.exists(dir.resolve("probe-decoder/probe.html")));
    }
}
