package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** actlab demo's index.html: every step's reports linked, its headline numbers and the similarity table shown. */
class DemoIndexTest {
    @TempDir Path dir;

    record Step(String name, String title) implements DemoStep {
        @Override public Map<String, Object> run(DemoContext ctx) { return Map.of(); }
    }

    @Test
    void linksEveryReportAndShowsTheHeadlineNumbers() throws Exception {
        Files.createDirectories(dir.resolve("patch-decoder"));
        Path html = Files.writeString(dir.resolve("patch-decoder/patch.html"), "<html></html>");
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("actlab", "0.2.0");
        report.put("threads", 2);
        Map<String, Object> sim = new LinkedHashMap<>();
        sim.put("sentences", List.of("A man is playing a guitar.", "Someone strums a guitar.", "Stocks <fell>."));
        sim.put("embed_ms", 12.3456);
        sim.put("cosine", List.of(List.of(1.0, 0.8, 0.1), List.of(0.8, 1.0, 0.05), List.of(0.1, 0.05, 1.0)));
        sim.put("nearest", List.of(Map.of("sentence", 0, "nearest", 1, "cosine", 0.8)));
        report.put("similarity", sim);
        Map<String, Object> patch = new LinkedHashMap<>();
        patch.put("clean_metric", 0.746123);
        patch.put("correlation", Map.of("pearson", 0.993, "spearman", 0.997));
        patch.put("report_html", html.toString());
        report.put("patch", patch);
        List<DemoStep> steps = List.of(new Step("similarity", "sentence embeddings"), new Step("patch", "patching"), new Step("later", "not run yet"));
        String page = Files.readString(DemoIndex.write(dir, steps, report));
        assertTrue(page.contains("<a href=\"patch-decoder/patch.html\">"), page);
        assertTrue(page.contains("<a href=\"demo.json\">"), page);
        assertTrue(page.contains("1. sentence embeddings") && page.contains("2. patching"), page);
        assertFalse(page.contains("not run yet"), "a step without a section is left out");
        assertTrue(page.contains("0.746") && page.contains("correlation.pearson") && page.contains("0.993"), page);
        assertTrue(page.contains("12.346"), page);
        assertTrue(page.contains("1. A man is playing a guitar.</th>"), page);     // the similarity matrix, labelled
        assertTrue(page.contains("Stocks &lt;fell&gt;."), "text is escaped");
        assertTrue(page.contains("<caption class=\"k\">nearest</caption>"), page);
    }
}
