package dev.actlab.steer;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Control vectors against llama.cpp's own Python package gguf-py (src/test/python/controlvector_ggufpy.py):
 * a file gguf-py wrote (committed) reads here with the right values; a file actlab writes reads in
 * gguf-py with the keys, kinds, types and shapes llama.cpp expects, and the same values.
 */
class ControlVectorGgufPyTest {
    @TempDir Path dir;

    @Test
    void readsAControlVectorWrittenByGgufPy() throws Exception {
        ControlVector v = ControlVector.read(Path.of(getClass().getResource("/gguf/controlvector-ggufpy.gguf").toURI()));
        assertEquals(java.util.List.of(1, 2, 3), v.layers());
        assertEquals(16, v.nEmbd());
        assertEquals("llama", v.modelHint());
        for (int n = 1; n <= 3; n++) {
            float[] d = v.direction(n);
            for (int i = 0; i < 16; i++) assertEquals(n + i / 16f, d[i], 0f, "direction." + n + "[" + i + "]");
        }
    }

    static boolean ggufPyAvailable() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import gguf").redirectErrorStream(true).start();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void ggufPyReadsWhatActlabWritesWithTheKeysAndShapesLlamaCppExpects() throws Exception {
        assumeTrue(ggufPyAvailable(), "skipped: python3 with gguf-py (pip install gguf) is not available");
        Map<Integer, float[]> dirs = new TreeMap<>();
        for (int l : new int[]{1, 2, 4}) dirs.put(l, ControlVectorTest.random(192, l, 1.0));
        Path f = dir.resolve("actlab-cv.gguf");
        new ControlVector("llama", 192, dirs, "test").write(f);
        Process p = new ProcessBuilder("python3", "src/test/python/controlvector_ggufpy.py", "check", f.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        JsonNode j = new ObjectMapper().readTree(out);
        assertEquals("controlvector", j.get("architecture").asText());
        assertEquals("llama", j.get("model_hint").asText());
        assertEquals(3, j.get("layer_count").asInt());
        assertEquals("INT32", j.get("layer_count_type").asText());
        assertEquals(3, j.get("tensors").size());
        for (var e : dirs.entrySet()) {
            JsonNode t = j.at("/tensors/direction." + e.getKey());
            assertEquals("F32", t.get("type").asText());
            assertEquals("[192]", t.get("shape").toString());
            for (int i = 0; i < 192; i++) assertEquals(e.getValue()[i], (float) t.get("values").get(i).asDouble(), 0f);
        }
    }
}
