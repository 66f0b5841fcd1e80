package dev.actlab.sae;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.tensor.Parallel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SAE files against the Hugging Face safetensors package and numpy (src/test/python/sae_safetensors.py): an SAE
 * actlab writes reads there with SAELens' names, dtypes and shapes, and numpy's SAELens encode/decode of it gives
 * actlab's reconstruction; a sparsify-layout file written there reads here. Skipped without python3 + safetensors.
 */
class SaeSafetensorsPyTest {
    @TempDir Path dir;

    static boolean available() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import safetensors, numpy").redirectErrorStream(true).start();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    static String python(String... args) throws Exception {
        String[] cmd = new String[args.length + 2];
        cmd[0] = "python3"; cmd[1] = "src/test/python/sae_safetensors.py";
        System.arraycopy(args, 0, cmd, 2, args.length);
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        return out;
    }

    @Test void safetensorsReadsWhatActlabWritesAndNumpyReconstructsTheSame() throws Exception {
        assumeTrue(available(), "skipped: python3 with safetensors and numpy (pip install safetensors numpy) is not available");
        for (SaeConfig.Architecture a : SaeConfig.Architecture.values()) {
            SaeConfig cfg = new SaeConfig(a, 24, 96, 7, "blocks.2.hook_resid_post", 2, true, "x");
            Sae s = SaeFileTest.random(cfg, 9);
            Path d = dir.resolve(a.name());
            SaeFile.write(s, d, 128);
            JsonNode j = new ObjectMapper().readTree(python("check", d.toString()));
            assertEquals("[24,96]", j.at("/tensors/W_enc/shape").toString());
            assertEquals("[96,24]", j.at("/tensors/W_dec/shape").toString());
            assertEquals("[96]", j.at("/tensors/b_enc/shape").toString());
            assertEquals("[24]", j.at("/tensors/b_dec/shape").toString());
            assertEquals("float32", j.at("/tensors/W_enc/dtype").asText());
            assertEquals(a.saeLensName(), j.at("/cfg/architecture").asText());
            float[] x = new float[4 * 24];
            for (int r = 0; r < 4; r++) for (int c = 0; c < 24; c++) x[r * 24 + c] = (float) Math.sin(0.37 * r * 24 + 0.11 * c);
            SparseCode code = s.encode(x, 4, new Parallel(1));
            float[] xh = s.decode(code);
            for (int r = 0; r < 4; r++) assertEquals(j.at("/l0/" + r).asInt(), code.indices(r).length, a + " L0 of row " + r);
            for (int i = 0; i < xh.length; i++) assertEquals(j.at("/recon/" + i).asDouble(), xh[i], 1e-4, a + " recon " + i);
        }
    }

    @Test void readsASparsifyFileWrittenBySafetensors() throws Exception {
        assumeTrue(available(), "skipped: python3 with safetensors and numpy is not available");
        Path d = dir.resolve("layers.3");
        python("write-sparsify", d.toString());
        Sae s = SaeFile.read(d);
        assertEquals(8, s.dIn());
        assertEquals(32, s.dSae());
        assertEquals(4, s.cfg.k());
        for (int i = 0; i < 32 * 8; i++) {
            assertEquals((float) Math.cos(0.1 * i), s.wEncT[i], 1e-6);
            assertEquals((float) Math.cos(0.1 * i), s.wDec[i], 1e-6);
        }
        for (int i = 0; i < 32; i++) assertEquals((float) Math.cos(0.1 * i), s.bEnc[i], 1e-6);
    }
}
