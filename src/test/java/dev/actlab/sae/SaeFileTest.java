package dev.actlab.sae;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import dev.actlab.model.safetensors.SafetensorsFile;
import dev.actlab.model.safetensors.SafetensorsWriter;
import dev.actlab.tensor.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SaeFileTest {
    static Sae random(SaeConfig cfg, long seed) {
        Sae s = new Sae(cfg);
        SplittableRandom r = new SplittableRandom(seed);
        for (float[] a : new float[][]{s.wEncT, s.bEnc, s.wDec, s.bDec, s.threshold}) for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() - 0.5);
        return s;
    }

    @Test void saeLensRoundTripKeepsEveryBitAndTheLayout(@TempDir Path dir) throws Exception {
        SaeConfig cfg = new SaeConfig(SaeConfig.Architecture.TOPK, 12, 40, 5, "blocks.2.hook_resid_post", 2, true, "m.gguf");
        Sae s = random(cfg, 3);
        SaeFile.write(s, dir, 128);
        Sae t = SaeFile.read(dir);
        assertEquals(cfg, t.cfg);
        assertArrayEquals(s.wEncT, t.wEncT); assertArrayEquals(s.bEnc, t.bEnc);
        assertArrayEquals(s.wDec, t.wDec); assertArrayEquals(s.bDec, t.bDec);
        // the file is SAELens' layout: W_enc [d_in, d_sae] with W_enc[j, i] = encoder row i's element j
        SafetensorsFile f = SafetensorsFile.open(dir.resolve(SaeFile.WEIGHTS));
        assertArrayEquals(new long[]{12, 40}, f.tensor("W_enc").shape());
        assertArrayEquals(new long[]{40, 12}, f.tensor("W_dec").shape());
        assertArrayEquals(new long[]{40}, f.tensor("b_enc").shape());
        assertArrayEquals(new long[]{12}, f.tensor("b_dec").shape());
        float[] wEnc = f.floats("W_enc", 12, 40);
        assertEquals(s.wEncT[7 * 12 + 3], wEnc[3 * 40 + 7]);
        String cfgJson = Files.readString(dir.resolve(SaeFile.CFG));
        for (String field : new String[]{"\"architecture\" : \"topk\"", "\"d_in\" : 12", "\"d_sae\" : 40", "\"hook_name\" : \"blocks.2.hook_resid_post\"",
                "\"hook_layer\" : 2", "\"k\" : 5", "\"apply_b_dec_to_input\" : true", "\"normalize_activations\" : \"none\"", "\"dtype\" : \"float32\""})
            assertTrue(cfgJson.contains(field), field + " in " + cfgJson);
    }

    @Test void encodeDecodeMatchesAPlainScalarSae() {
        for (SaeConfig.Architecture a : SaeConfig.Architecture.values()) {
            SaeConfig cfg = new SaeConfig(a, 20, 70, 6, "x", 0, true, "");
            Sae s = random(cfg, 11);
            int n = 9;
            float[] x = new float[n * 20];
            SplittableRandom r = new SplittableRandom(5);
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 4 - 2);
            float[] got = s.reconstruct(x, n, new Parallel(2));
            for (int row = 0; row < n; row++) {
                double[] pre = new double[70];
                for (int i = 0; i < 70; i++) {
                    double acc = s.bEnc[i];
                    for (int j = 0; j < 20; j++) acc += (x[row * 20 + j] - s.bDec[j]) * (double) s.wEncT[i * 20 + j];
                    pre[i] = acc;
                }
                double[] f = new double[70];
                if (a == SaeConfig.Architecture.RELU) for (int i = 0; i < 70; i++) f[i] = Math.max(0, pre[i]);
                else if (!a.usesK() || a == SaeConfig.Architecture.BATCHTOPK) for (int i = 0; i < 70; i++) f[i] = pre[i] > s.threshold[i] && pre[i] > 0 ? pre[i] : 0;
                else {
                    Integer[] order = new Integer[70];
                    for (int i = 0; i < 70; i++) order[i] = i;
                    java.util.Arrays.sort(order, (p, q) -> Double.compare(pre[q], pre[p]));
                    for (int q = 0; q < 6; q++) f[order[q]] = Math.max(0, pre[order[q]]);
                }
                for (int j = 0; j < 20; j++) {
                    double want = s.bDec[j];
                    for (int i = 0; i < 70; i++) want += f[i] * s.wDec[i * 20 + j];
                    assertEquals(want, got[row * 20 + j], 1e-4, a + " row " + row + " elem " + j);
                }
            }
        }
    }

    @Test void malformedFilesNameTheFileAndField(@TempDir Path dir) throws Exception {
        Sae s = random(new SaeConfig(SaeConfig.Architecture.TOPK, 8, 16, 4, "blocks.0.hook_resid_post", 0, true, ""), 1);
        SaeFile.write(s, dir, 64);
        Path cfg = dir.resolve(SaeFile.CFG);
        String good = Files.readString(cfg);
        Files.writeString(cfg, good.replace("\"d_sae\" : 16", "\"d_sae\" : 17"));
        FormatException e = assertThrows(FormatException.class, () -> SaeFile.read(dir));
        assertTrue(e.getMessage().contains(SaeFile.WEIGHTS) && e.getMessage().contains("W_enc"), e.getMessage());
        Files.writeString(cfg, good.replace("\"d_in\" : 8", "\"d_in\" : \"eight\""));
        e = assertThrows(FormatException.class, () -> SaeFile.read(dir));
        assertEquals("d_in", e.field());
        assertEquals(cfg, e.file());
        Files.writeString(cfg, good.replace("\"k\" : 4", "\"k\" : 99"));
        e = assertThrows(FormatException.class, () -> SaeFile.read(dir));
        assertEquals("k", e.field());
        Files.writeString(cfg, good.replace("\"architecture\" : \"topk\"", "\"architecture\" : \"gated\""));
        e = assertThrows(FormatException.class, () -> SaeFile.read(dir));
        assertEquals("architecture", e.field());
        Files.writeString(cfg, "{ not json");
        assertThrows(FormatException.class, () -> SaeFile.read(dir));
        Files.writeString(cfg, good);
        s.wDec[5] = Float.NaN;
        SaeFile.write(s, dir, 64);
        e = assertThrows(FormatException.class, () -> SaeFile.read(dir));
        assertTrue(e.getMessage().contains("W_dec"), e.getMessage());
    }

    @Test void jumpReluAndBatchTopKRoundTripBitExactInSaeLensLayout(@TempDir Path dir) throws Exception {
        for (SaeConfig.Architecture a : new SaeConfig.Architecture[]{SaeConfig.Architecture.JUMPRELU, SaeConfig.Architecture.BATCHTOPK}) {
            Path d = dir.resolve(a.cliName());
            Sae s = random(new SaeConfig(a, 12, 48, a.usesK() ? 5 : 1, "blocks.1.hook_resid_post", 1, true, "m"), 4);
            if (a == SaeConfig.Architecture.BATCHTOPK) java.util.Arrays.fill(s.threshold, 0.123f);   // one global threshold
            SaeFile.write(s, d, 64);
            Sae t = SaeFile.read(d);
            assertEquals(s.cfg, t.cfg);
            for (float[][] p : new float[][][]{{s.wEncT, t.wEncT}, {s.bEnc, t.bEnc}, {s.wDec, t.wDec}, {s.bDec, t.bDec}, {s.threshold, t.threshold}})
                for (int i = 0; i < p[0].length; i++) assertEquals(Float.floatToRawIntBits(p[0][i]), Float.floatToRawIntBits(p[1][i]), a + " element " + i);
            SafetensorsFile f = SafetensorsFile.open(d.resolve(SaeFile.WEIGHTS));
            assertArrayEquals(new long[]{48}, f.tensor("threshold").shape());
            String cfgJson = Files.readString(d.resolve(SaeFile.CFG));
            assertTrue(cfgJson.contains("\"architecture\" : \"jumprelu\""), cfgJson);
            assertEquals(a == SaeConfig.Architecture.BATCHTOPK, cfgJson.contains("\"actlab_architecture\" : \"batchtopk\""), cfgJson);
            assertEquals(a == SaeConfig.Architecture.BATCHTOPK, cfgJson.contains("\"k\" : 5"), cfgJson);
        }
    }

    @Test void readsASparsifyDirectory(@TempDir Path root) throws Exception {
        Path dir = root.resolve("blocks.1.hook_resid_post");
        Files.createDirectories(dir);
        Sae s = random(new SaeConfig(SaeConfig.Architecture.TOPK, 8, 32, 4, "", 0, true, ""), 2);
        new SafetensorsWriter().addF32("encoder.weight", s.wEncT, 32, 8).addF32("encoder.bias", s.bEnc, 32)
                .addF32("W_dec", s.wDec, 32, 8).addF32("b_dec", s.bDec, 8).write(dir.resolve(SaeFile.SPARSIFY_WEIGHTS));
        Files.writeString(dir.resolve(SaeFile.CFG), "{\"expansion_factor\": 4, \"normalize_decoder\": true, \"num_latents\": 0, \"k\": 4, \"multi_topk\": false, \"skip_connection\": false, \"d_in\": 8}");
        Sae t = SaeFile.read(dir);
        assertEquals(32, t.dSae());
        assertEquals(4, t.cfg.k());
        assertEquals("blocks.1.hook_resid_post", t.cfg.hookName());
        assertArrayEquals(s.wEncT, t.wEncT);
        assertArrayEquals(s.wDec, t.wDec);
    }
}
