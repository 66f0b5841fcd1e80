package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.tensor.DType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `actlab synth`: a loadable model of the requested shape and type, the same bytes for the same seed. */
class SynthCommandTest {
    @TempDir Path dir;

    int run(String... args) {
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(new StringWriter()));
        return cl.execute(args);
    }

    @Test
    void tinyQ4_0IsDeterministicLoadableAndSane() throws Exception {
        Path a = dir.resolve("a.gguf"), b = dir.resolve("b.gguf"), c = dir.resolve("c.gguf");
        assertEquals(0, run("synth", "--shape", "tiny", "--dtype", "Q4_0", "--out", a.toString(), "--seed", "7"));
        assertEquals(0, run("synth", "--shape", "tiny", "--dtype", "Q4_0", "--out", b.toString(), "--seed", "7"));
        assertEquals(0, run("synth", "--shape", "tiny", "--dtype", "Q4_0", "--out", c.toString(), "--seed", "8"));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)));

        LlamaModel m = ModelLoader.loadDecoder(a);
        assertEquals(dev.actlab.model.llama.LlamaShape.TINY_QUANT.config(), m.config(), "synth's tiny is tiny-quant");
        assertEquals(DType.Q4_0, m.weights().wGate()[0].dtype());
        float[] row = new float[m.config().dim()];
        double sum = 0, sq = 0;
        int n = 0;
        for (int r = 0; r < 64; r++) {
            m.weights().wq()[1].dequantizeRow(r, row, 0);
            for (float v : row) { sum += v; sq += v * v; n++; }
        }
        double std = Math.sqrt(sq / n - (sum / n) * (sum / n));
        assertEquals(0.02, std, 0.003, "weights ~ N(0, 0.02)");
        float[] logits = m.runWithHooks(new int[]{1, 2, 3, 4}, Hooks.none());
        for (float v : logits) assertTrue(Float.isFinite(v) && Math.abs(v) < 100, "logit " + v);
    }

    @Test
    void badOptionsAreOneLineErrors() {
        assertEquals(2, run("synth", "--shape", "7B", "--out", dir.resolve("x.gguf").toString()));
        assertEquals(2, run("synth", "--shape", "tiny", "--dtype", "Q5_K", "--out", dir.resolve("x.gguf").toString()));
    }
}
