package dev.actlab.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.model.safetensors.SafetensorsFile;
import dev.actlab.sae.Sae;
import dev.actlab.sae.SaeConfig;
import dev.actlab.sae.SaeFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** actlab sae encode on actlab's own decoder, against the codes computed directly from the site's activations and the SAE's weights. */
class SaeEncodeCommandTest {
    static final String SITE = "blocks.2.hook_resid_post";
    static final int CTX = 24;
    static LlamaModel brown;
    @TempDir Path dir;

    @BeforeAll static void load() throws Exception { brown = ModelLoader.loadDecoder(Path.of(dev.actlab.model.load.ModelRef.DEFAULT_MODEL)); }

    /** A random SAE on the site (weights as files hold them), written to dir. */
    static Sae randomSae(SaeConfig.Architecture a, int k, Path dir) throws Exception {
        int d = brown.dModel(), m = 2 * d;
        Sae s = new Sae(new SaeConfig(a, d, m, k, SITE, 2, true, brown.source()));
        SplittableRandom r = new SplittableRandom(5);
        for (float[] w : new float[][]{s.wEncT, s.wDec}) for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() / Math.sqrt(d));
        for (int i = 0; i < m; i++) { s.bEnc[i] = (float) (r.nextDouble() - 0.5); s.threshold[i] = (float) (0.5 * r.nextDouble()); }
        for (int j = 0; j < d; j++) s.bDec[j] = (float) (r.nextDouble() - 0.5);
        SaeFile.write(s, dir, CTX);
        return SaeFile.read(dir);
    }

    /** Each text token's active (latent, value) pairs, largest first, computed in doubles from windows of CTX with BOS first. */
    static List<double[][]> direct(Sae s, String text) {
        int[] ids = brown.tokenizer().encode(text, false);
        int d = s.dIn(), m = s.dSae(), body = CTX - 1;
        List<double[][]> out = new ArrayList<>();
        for (int from = 0; from < ids.length; from += body) {
            int n = Math.min(body, ids.length - from);
            int[] win = new int[n + 1];
            win[0] = brown.tokenizer().bosId();
            System.arraycopy(ids, from, win, 1, n);
            float[][] site = new float[1][];
            brown.run(win, Hooks.of(SITE, a -> site[0] = Arrays.copyOfRange(a.data, a.offset, a.offset + (n + 1) * d)));
            for (int p = 1; p <= n; p++) {
                List<double[]> on = new ArrayList<>();
                for (int i = 0; i < m; i++) {
                    double pre = s.bEnc[i];
                    for (int j = 0; j < d; j++) pre += (site[0][p * d + j] - (double) s.bDec[j]) * s.wEncT[i * d + j];
                    boolean active = s.cfg.architecture() == SaeConfig.Architecture.TOPK ? pre > 0 : pre > 0 && pre > s.threshold[i];
                    if (active) on.add(new double[]{i, pre});
                }
                on.sort((a, b) -> Double.compare(b[1], a[1]));
                if (s.cfg.architecture() == SaeConfig.Architecture.TOPK && on.size() > s.cfg.k()) on = on.subList(0, s.cfg.k());
                out.add(on.toArray(new double[0][]));
            }
        }
        return out;
    }

    private static void assertSameCode(double[][] want, int[] idx, float[] val, String where) {
        assertEquals(want.length, idx.length, where + ": L0");
        for (int a = 0; a < want.length; a++) {
            assertEquals((int) want[a][0], idx[a], where + ": feature " + a);
            assertEquals(want[a][1], val[a], 1e-4 * (1 + Math.abs(want[a][1])), where + ": activation " + a);
        }
    }

    @Test void topFeaturesAndTheCsrFileMatchADirectComputation() throws Exception {
        Sae s = randomSae(SaeConfig.Architecture.TOPK, 12, dir.resolve("sae"));
        Path text = dir.resolve("t.txt");
        Files.writeString(text, SaeEvalText.TEXT);
        var r = InspectCommandTest.run("sae", "encode", "--sae", dir.resolve("sae").toString(), "--text", text.toString(), "--ctx", "" + CTX,
                "--top", "3", "--threads", "2", "--json", "--out", dir.resolve("codes.safetensors").toString());
        assertEquals(0, r.code(), r.err());
        List<double[][]> want = direct(s, SaeEvalText.TEXT);
        assertTrue(want.size() > 3 * (CTX - 1), "several windows, the last one shorter: " + want.size() + " tokens");
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(want.size(), j.get("tokens").asInt());
        for (int t = 0; t < want.size(); t++) {
            JsonNode tok = j.get("per_token").get(t);
            assertEquals(want.get(t).length, tok.get("l0").asInt());
            assertEquals(t % (CTX - 1) + 1, tok.get("position").asInt());
            JsonNode f = tok.get("features");
            assertEquals(Math.min(3, want.get(t).length), f.size());
            for (int a = 0; a < f.size(); a++) {
                assertEquals((int) want.get(t)[a][0], f.get(a).get("feature").asInt(), "token " + t);
                assertEquals(want.get(t)[a][1], f.get(a).get("activation").asDouble(), 1e-4 * (1 + Math.abs(want.get(t)[a][1])), "token " + t);
            }
        }
        // the CSR file: every active latent of every token, with the ids and byte offsets
        SafetensorsFile f = SafetensorsFile.open(dir.resolve("codes.safetensors"));
        assertEquals("csr", f.metadata().get("format"));
        assertEquals("" + s.dSae(), f.metadata().get("d_sae"));
        int[] indptr = ints(f, "indptr"), indices = ints(f, "indices"), ids = ints(f, "token_ids"), offsets = ints(f, "token_offsets");
        float[] values = f.floats("values", indices.length);
        assertArrayEquals(brown.tokenizer().encode(SaeEvalText.TEXT, false), ids);
        assertEquals(want.size() + 1, indptr.length);
        for (int t = 0; t < want.size(); t++)
            assertSameCode(want.get(t), Arrays.copyOfRange(indices, indptr[t], indptr[t + 1]), Arrays.copyOfRange(values, indptr[t], indptr[t + 1]), "token " + t);
        byte[] utf8 = SaeEvalText.TEXT.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String second = new String(Arrays.copyOfRange(utf8, offsets[2], offsets[3]), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(brown.tokenizer().decode(new int[]{ids[1]}), second, "token_offsets place the token in the text");
    }

    @Test void jumpReluCodesAsJsonLinesAndTheHumanTable() throws Exception {
        Sae s = randomSae(SaeConfig.Architecture.JUMPRELU, 1, dir.resolve("sae"));
        String prompt = "The jury said the election was conducted well.";
        var r = InspectCommandTest.run("sae", "encode", "--sae", dir.resolve("sae").toString(), "--prompt", prompt, "--ctx", "" + CTX,
                "--out", dir.resolve("codes.jsonl").toString());
        assertEquals(0, r.code(), r.err());
        List<double[][]> want = direct(s, prompt);
        List<String> lines = Files.readAllLines(dir.resolve("codes.jsonl"));
        assertEquals(want.size(), lines.size());
        ObjectMapper om = new ObjectMapper();
        for (int t = 0; t < want.size(); t++) {
            JsonNode o = om.readTree(lines.get(t));
            int[] idx = new int[o.get("indices").size()];
            float[] val = new float[idx.length];
            for (int a = 0; a < idx.length; a++) { idx[a] = o.get("indices").get(a).asInt(); val[a] = (float) o.get("values").get(a).asDouble(); }
            assertSameCode(want.get(t), idx, val, "token " + t);
            assertEquals(t, o.get("token").asInt());
        }
        assertTrue(want.get(0).length > 0, "the random JumpReLU SAE fires");
        String first = r.out().lines().filter(l -> l.trim().startsWith("0 ")).findFirst().orElseThrow();
        assertTrue(first.contains("L0 " + String.format("%3d", want.get(0).length)) && first.contains(" f" + (int) want.get(0)[0][0] + " "), first);
        // a bad output name is a usage error, before any work
        var bad = InspectCommandTest.run("sae", "encode", "--sae", dir.resolve("sae").toString(), "--prompt", prompt, "--out", dir.resolve("codes.txt").toString());
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains(".safetensors") && bad.err().contains(".jsonl"), bad.err());
    }

    private static int[] ints(SafetensorsFile f, String name) throws Exception {
        SafetensorsFile.Tensor t = f.tensor(name);
        int[] out = new int[(int) t.elements()];
        java.lang.foreign.MemorySegment.copy(f.data(t), ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, out, 0, out.length);
        return out;
    }
}
