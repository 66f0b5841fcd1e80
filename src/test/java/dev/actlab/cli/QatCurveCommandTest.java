package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.model.eval.QuantErrorParts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QatCurveCommandTest {
    @Test
    void qatRunRecordsTheErrorCurveAtStepZeroEveryEvalAndTheEnd(@TempDir Path dir) throws Exception {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, TrainCommandTest.TEXT, StandardCharsets.UTF_8);
        Path base = dir.resolve("base");
        TrainCommandTest.Result trained = TrainCommandTest.run(TrainCommandTest.args(corpus, base, "--tokenizer", "bpe:300"));
        assertEquals(0, trained.code(), trained.err());

        // 7 steps of 4 x 32 tokens, a curve point every 3 steps: steps 0, 3, 6 and the last, 7
        Path q = dir.resolve("qat");
        TrainCommandTest.Result r = TrainCommandTest.run("train", "--corpus", corpus.toString(), "--from", base.resolve("model.gguf").toString(),
                "--qat", "w4a4", "--tokens", "896", "--batch", "4", "--ctx", "32", "--eval-every", "3", "--eval-batches", "1",
                "--lr", "1e-3", "--warmup", "1", "--threads", "2", "--out", q.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(q.resolve("qat.json").toFile());
        JsonNode curve = json.get("curve");
        long[] steps = {0, 3, 6, 7};
        assertEquals(steps.length, curve.size(), curve.toString());
        for (int i = 0; i < steps.length; i++) {
            QuantErrorParts p = QuantErrorParts.fromJson(curve.get(i));
            assertEquals(steps[i], p.step());
            assertEquals(steps[i] * 4 * 32, p.tokens());
            assertEquals(4, p.windows(), "--eval-batches 1 of 4 sequences");
            assertEquals(4, p.activationsAlone().size());
            assertEquals(p.weightPart(), curve.get(i).get("weight_part").asDouble());
            assertEquals(p.total(), curve.get(i).get("total").asDouble());
            // the table on stdout shows the same point
            assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "%-10s %10d %7d %8.4f %8.4f %8.4f %8.4f", steps[i], p.tokens(), 4,
                    p.fp(), p.weightPart(), p.activationPart(), p.total())), r.out());
        }
        // the whole-split measurements are the headline numbers: FP32 and PTQ before, QAT and its weights in FP32 after
        QuantErrorParts ptq = QuantErrorParts.fromJson(json.get("ptq_parts")), qat = QuantErrorParts.fromJson(json.get("qat_parts"));
        assertEquals(ptq.fp(), json.get("fp32_loss").asDouble(), 1e-6);
        assertEquals(ptq.both(), json.get("ptq_loss").asDouble(), 1e-6);
        assertEquals(qat.both(), json.get("qat_loss").asDouble(), 1e-6);
        assertEquals(qat.fp(), json.get("qat_weights_fp32_loss").asDouble(), 1e-6);
        assertEquals(0, ptq.step());
        assertEquals(7, qat.step());
        assertNotEquals(ptq.fp(), qat.fp(), "training moved the weights");

        String html = Files.readString(q.resolve("qat-curve.html"));
        assertTrue(html.startsWith("<!DOCTYPE html>") && html.endsWith("</html>\n"));
        assertEquals(2, html.split("<svg ", -1).length - 1, "parts, parts by input");
        assertTrue(html.contains("activation part by matmul input") && html.contains("ffn_down (h)"));
        try (var files = Files.list(q)) { assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp") || f.getFileName().toString().endsWith(".part"))); }
    }
}
