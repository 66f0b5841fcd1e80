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

/** The demo's steering step on the default decoder: the tense vector moves the next token and the written text toward the present. */
class SteeringDemoStepTest {
    @TempDir Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void theTenseVectorMovesWhatTheModelWrites() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Map<String, Object> r = new SteeringDemoStep().run(new DemoContext(dir, new PrintStream(buf, true, StandardCharsets.UTF_8), 2));
        String printed = buf.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        List<Map<String, Object>> points = (List<Map<String, Object>>) r.get("points");
        List<Map<String, Object>> shares = (List<Map<String, Object>>) r.get("present_share_of_continuations");
        assertEquals(9, points.size());
        double prev = Double.NEGATIVE_INFINITY;
        for (Map<String, Object> p : points) {
            double e = (Double) p.get("effect");
            assertTrue(e > prev, "logit(is) - logit(was) rises with the strength: " + points);
            prev = e;
        }
        Map<String, Object> zero = points.get(4);
        assertEquals(0.0, (Double) zero.get("strength"));
        assertEquals(0.0, (Double) zero.get("mean_kl"));
        double pastSide = (Double) shares.get(0).get("present_share"), unsteered = (Double) shares.get(4).get("present_share"),
                presentSide = (Double) shares.get(8).get("present_share");
        // both directions, whatever tense the unsteered model prefers (the default decoder writes mostly present tense)
        assertTrue(pastSide <= unsteered && presentSide >= unsteered && presentSide - pastSide >= 0.5,
                "present-tense share of the continuations: " + shares);
        assertTrue(Files.exists(dir.resolve("steer-decoder/sweep.html")) && Files.exists(dir.resolve("steer-decoder/present-tense.gguf")));
    }
}
