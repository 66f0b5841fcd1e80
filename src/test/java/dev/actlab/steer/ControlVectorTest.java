package dev.actlab.steer;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import dev.actlab.model.gguf.GgmlType;
import dev.actlab.model.gguf.GgufFile;
import dev.actlab.model.gguf.GgufValue;
import dev.actlab.model.gguf.GgufValueType;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.tensor.DType;
import dev.actlab.testutil.Shared;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** llama.cpp control vectors: the file both ways, and their effect on real models exactly as hooks at blocks.N.hook_resid_post. */
class ControlVectorTest {
    static LlamaModel brown, stories;
    @TempDir Path dir;

    @BeforeAll
    static void load() throws Exception {
        brown = ModelLoader.loadDecoder(Path.of("models/actlab-brown.gguf"));
        stories = ModelLoader.loadDecoder(Shared.stories260K());
    }

    static float[] random(int n, long seed, double std) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * std);
        return v;
    }

    static ControlVector handMade(int nEmbd, long seed, int... layers) {
        Map<Integer, float[]> d = new TreeMap<>();
        for (int l : layers) d.put(l, random(nEmbd, seed + l, 0.5));
        return new ControlVector("llama", nEmbd, d, "hand-made");
    }

    @Test
    void writesLlamaCppsKeysAndReadsBackTheSameBits() throws Exception {
        ControlVector v = handMade(192, 7, 1, 2, 4);
        Path f = dir.resolve("cv.gguf");
        v.write(f);
        GgufFile g = GgufFile.open(f);
        assertEquals("controlvector", g.string("general.architecture", null));
        assertEquals(GgufValue.string("llama"), g.entry("controlvector.model_hint"));
        assertEquals(GgufValue.of(GgufValueType.INT32, 3), g.entry("controlvector.layer_count"), "int32, as llama.cpp's cvector-generator writes it");
        assertEquals(3, g.tensors().size());
        for (int l : new int[]{1, 2, 4}) {
            var t = g.require("direction." + l);
            assertEquals(GgmlType.F32, t.type());
            assertArrayEquals(new long[]{192}, t.dims());
        }
        ControlVector back = ControlVector.read(f);
        assertEquals(v.layers(), back.layers());
        assertEquals("llama", back.modelHint());
        for (int l : v.layers()) assertArrayEquals(v.direction(l), back.direction(l), "direction." + l);
        Path again = dir.resolve("again.gguf");
        back.write(again);
        assertArrayEquals(java.nio.file.Files.readAllBytes(f), java.nio.file.Files.readAllBytes(again), "read then written: the same bytes");
    }

    /** Adds scale * d at blocks.N.hook_resid_post by hand, the way the issue states llama.cpp's meaning. */
    static Hooks byHand(Map<Integer, float[]> perLayer) {
        Hooks h = new Hooks();
        perLayer.forEach((layer, d) -> h.add("blocks." + layer + ".hook_resid_post", a -> {
            for (int i = 0; i < a.size(); i++) a.data[a.offset + i] += d[i % d.length];
        }));
        return h;
    }

    @Test
    void aHandMadeFileChangesTheLogitsExactlyAsAddingItsDirectionsWithAHook() throws Exception {
        for (LlamaModel m : new LlamaModel[]{brown, stories}) {
            int d = m.dModel();
            Path f = dir.resolve("hand-" + d + ".gguf");
            handMade(d, 11, 1, 2, 3, 4).write(f);
            ControlVector v = ControlVector.read(f);
            int[] tokens = m.tokenizer() != null ? m.tokenizer().encode("The jury said that the city", true) : new int[]{1, 403, 407, 261, 378, 300};
            Steering s = new Steering().add(v, 1.5f).layerRange(2, 3);
            float[] steered = m.runWithHooks(tokens, s.hooks(m));
            Map<Integer, float[]> manual = new TreeMap<>();
            for (int l = 2; l <= 3; l++) {
                float[] x = v.direction(l);
                for (int i = 0; i < d; i++) x[i] = x[i] * 1.5f;
                manual.put(l, x);
            }
            float[] expected = m.runWithHooks(tokens, byHand(manual));
            assertArrayEquals(expected, steered, m.source() + ": control vector == hook at blocks.2-3.hook_resid_post, bit for bit");
            float[] plain = m.runWithHooks(tokens, Hooks.none());
            assertFalse(Arrays.equals(plain, steered), "the vector changes the logits");
            float[] onlyLayer1 = m.runWithHooks(tokens, byHand(Map.of(1, v.direction(1))));
            assertFalse(Arrays.equals(onlyLayer1, m.runWithHooks(tokens, new Steering().add(v, 1f).layerRange(2, 4).hooks(m))), "the range leaves layer 1 out");
        }
    }

    @Test
    void severalScaledFilesAreSummedAndTheDefaultRangeSkipsNothingButLayer0() throws Exception {
        LlamaModel m = brown;
        int d = m.dModel();
        ControlVector a = handMade(d, 21, 1, 3), b = handMade(d, 31, 3, 4);
        Steering s = new Steering().add(a, 1f).add(b, -0.5f);
        Map<Integer, float[]> manual = new TreeMap<>();
        for (int l = 1; l <= 4; l++) {
            float[] x = new float[d];
            float[] da = a.direction(l), db = b.direction(l);
            boolean any = false;
            if (da != null) { for (int i = 0; i < d; i++) x[i] += da[i] * 1f; any = true; }
            if (db != null) { for (int i = 0; i < d; i++) x[i] += db[i] * -0.5f; any = true; }
            if (any) manual.put(l, x);
        }
        int[] tokens = m.tokenizer().encode("She walked to the station", true);
        assertArrayEquals(m.runWithHooks(tokens, byHand(manual)), m.runWithHooks(tokens, s.hooks(m)));
        assertArrayEquals(new int[]{1, 5}, s.effectiveRange(5), "llama.cpp's default range: 1 .. n_layer");
        assertArrayEquals(new int[]{1, 3}, new Steering().layerRange(0, 3).effectiveRange(5), "a bound <= 0 takes its default");
    }

    @Test
    void strengthZeroChangesNothingBitForBit() throws Exception {
        LlamaModel m = brown;
        ControlVector v = handMade(m.dModel(), 41, 1, 2, 3, 4);
        int[] tokens = m.tokenizer().encode("The jury said that", true);
        assertArrayEquals(m.runWithHooks(tokens, Hooks.none()), m.runWithHooks(tokens, new Steering().add(v, 0f).hooks(m)));
        ControlVector cancel = v.plus(v.scaled(-1f));
        assertArrayEquals(m.runWithHooks(tokens, Hooks.none()), m.runWithHooks(tokens, new Steering().add(cancel, 1f).hooks(m)), "v + (-v)");
    }

    @Test
    void ablationLeavesEveryResidualSiteOrthogonalToTheDirection() throws Exception {
        LlamaModel m = brown;
        int d = m.dModel();
        int[] tokens = m.tokenizer().encode("The jury said that the city of Atlanta had been", true);
        // the direction the stream has most of: the mean residual at the last layer, so ablation has something to remove
        var cache = m.runWithCache(tokens, n -> n.equals("blocks.3.hook_resid_post"));
        float[] x = cache.get("blocks.3.hook_resid_post").data;
        float[] dir = new float[d];
        for (int t = 0; t < tokens.length; t++) for (int i = 0; i < d; i++) dir[i] += x[t * d + i] / tokens.length;
        float[] u = DirectionalAblation.unit(dir);
        java.util.function.Predicate<String> resid = n -> n.contains("hook_resid_");
        var before = m.runWithCache(tokens, resid);
        Hooks h = new Steering().ablate(dir, "mean").hooks(m);
        var after = new dev.actlab.model.hook.ActivationCache();
        h.add(resid, after);
        m.runWithHooks(tokens, h);
        assertEquals(3 * m.layers(), after.names().size());
        double maxBefore = 0;
        for (String site : after.names()) {
            float[] a = after.get(site).data, b = before.get(site).data;
            for (int t = 0; t < tokens.length; t++) {
                double dot = 0, norm = 0, dotB = 0, normB = 0;
                for (int i = 0; i < d; i++) {
                    dot += a[t * d + i] * u[i]; norm += a[t * d + i] * a[t * d + i];
                    dotB += b[t * d + i] * u[i]; normB += b[t * d + i] * b[t * d + i];
                }
                assertTrue(Math.abs(dot) <= 1e-5 * Math.sqrt(norm), site + " row " + t + ": x.v = " + dot + " with |x| = " + Math.sqrt(norm));
                maxBefore = Math.max(maxBefore, Math.abs(dotB) / Math.sqrt(normB));
            }
        }
        assertTrue(maxBefore > 0.3, "without ablation the stream has a large component along v: " + maxBefore);
    }

    @Test
    void aVectorForAnotherWidthIsATypedErrorNamingTheFile() throws Exception {
        Path f = dir.resolve("small.gguf");
        handMade(64, 1, 1, 2).write(f);
        ControlVector v = ControlVector.read(f);
        FormatException e = assertThrows(FormatException.class, () -> new Steering().add(v, 1f).hooks(brown));
        assertEquals(f, e.file());
        assertEquals("direction.1", e.field());
        assertTrue(e.getMessage().contains("n_embd 64") && e.getMessage().contains("d_model 192"), e.getMessage());
        Path past = dir.resolve("past.gguf");
        handMade(192, 1, 2, 7).write(past);
        FormatException p = assertThrows(FormatException.class, () -> new Steering().add(ControlVector.read(past), 1f).hooks(brown));
        assertEquals("direction.7", p.field());
        assertTrue(p.getMessage().contains("5 layers"), p.getMessage());
    }

    static Path gguf(Path f, String arch, Object... tensors) throws Exception {
        GgufWriter w = new GgufWriter();
        if (arch != null) w.put("general.architecture", GgufValue.string(arch));
        for (int i = 0; i < tensors.length; i += 3) {
            String name = (String) tensors[i];
            DType type = (DType) tensors[i + 1];
            long[] dims = (long[]) tensors[i + 2];
            w.tensor(name, type, dims, (r, dst) -> { Arrays.fill(dst, 0.25f); if (name.equals("direction.2")) dst[5] = Float.NaN; });
        }
        w.write(f);
        return f;
    }

    @Test
    void filesLlamaCppRefusesAreRefusedWithTheTensorNamed() throws Exception {
        record Bad(String what, String field, Path file) {}
        Bad[] bad = {
                new Bad("layer 0", "direction.0", gguf(dir.resolve("a.gguf"), "controlvector", "direction.0", DType.F32, new long[]{8})),
                new Bad("F32", "direction.1", gguf(dir.resolve("b.gguf"), "controlvector", "direction.1", DType.F16, new long[]{8})),
                new Bad("one dimension", "direction.1", gguf(dir.resolve("c.gguf"), "controlvector", "direction.1", DType.F32, new long[]{4, 2})),
                new Bad("direction.N", "token_embd.weight", gguf(dir.resolve("d.gguf"), "controlvector", "token_embd.weight", DType.F32, new long[]{8})),
                new Bad("must be the same", "direction.2", gguf(dir.resolve("e.gguf"), "controlvector", "direction.1", DType.F32, new long[]{8}, "direction.2", DType.F32, new long[]{16})),
                new Bad("\"llama\"", "general.architecture", gguf(dir.resolve("f.gguf"), "llama", "direction.1", DType.F32, new long[]{8})),
                new Bad("no direction", "tensors", gguf(dir.resolve("g.gguf"), "controlvector")),
                new Bad("direction.N", "direction.01", gguf(dir.resolve("h.gguf"), "controlvector", "direction.01", DType.F32, new long[]{8})),
        };
        for (Bad b : bad) {
            FormatException e = assertThrows(FormatException.class, () -> ControlVector.read(b.file), b.what);
            assertEquals(b.file, e.file());
            assertEquals(b.field, e.field(), e.getMessage());
            assertTrue(e.getMessage().contains(b.what), e.getMessage());
        }
        Path nan = gguf(dir.resolve("i.gguf"), "controlvector", "direction.1", DType.F32, new long[]{8}, "direction.2", DType.F32, new long[]{8});
        FormatException e = assertThrows(FormatException.class, () -> ControlVector.read(nan));
        assertTrue(e.field().equals("direction.2") && e.getMessage().contains("[5] is NaN"), e.getMessage());
        // llama.cpp accepts [n, 1] (ggml_n_dims is 1) and a file without general.architecture: so do we
        ControlVector ok = ControlVector.read(gguf(dir.resolve("j.gguf"), null, "direction.3", DType.F32, new long[]{8, 1}));
        assertEquals(java.util.List.of(3), ok.layers());
        assertEquals(8, ok.nEmbd());
    }
}
