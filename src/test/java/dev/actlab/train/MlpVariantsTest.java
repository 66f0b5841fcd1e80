package dev.actlab.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.FormatException;
import dev.actlab.model.gguf.GgufLlamaLoader;
import dev.actlab.model.gguf.GgufLlamaWriter;
import dev.actlab.model.gguf.GgufValue;
import dev.actlab.model.gguf.GgufWriter;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.MlpActivation;
import dev.actlab.model.llama.MlpSpec;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.tensor.DType;
import dev.actlab.tensor.Parallel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MLP variants of TrainModel and LlamaModel: gradients, top-k, GGUF round trip, refusals. */
class MlpVariantsTest {
    @TempDir Path tmp;

    private static LlamaConfig tiny(MlpSpec mlp) { return TrainModelTest.tiny().withMlp(mlp); }

    /** The gradient of (cross-entropy + activation L1 penalty) against finite differences, every block tensor of the MLP and around it. */
    private static void gradientCheck(MlpSpec mlp, float l1, float eps) {
        LlamaConfig c = tiny(mlp);
        int B = 2, T = 8;
        try (Parallel par = new Parallel(2)) {
            TrainModel m = TrainModelTest.randomModel(c, 1).withParallel(par).withActL1(l1);
            int[] tokens = TrainModelTest.randomTokens(B * T, c.vocabSize(), 2), targets = TrainModelTest.randomTokens(B * T, c.vocabSize(), 3);
            m.zeroGrad();
            m.forward(tokens, targets, B, T);
            m.backward(1f);
            long seed = 10;
            assertEquals(mlp.gated(), m.layer(0).wGate() != null, "a plain MLP has no gate matrix");
            for (Param p : m.params()) {
                if (!p.name().startsWith("blk.0.") && !p.name().startsWith("token_embd")) continue;
                GradCheck.check(mlp.describe() + " " + p.name(), p.value(), p.grad().clone(),
                        () -> m.forward(tokens, targets, B, T) + m.actL1Penalty(), eps, 3e-2, 3e-3, 24, seed++);
            }
        }
    }

    @Test
    void gatedGeluGradientMatchesFiniteDifferences() { gradientCheck(new MlpSpec(MlpActivation.GELU, true, 0), 0, 1e-2f); }

    @Test
    void plainGeluGradientMatchesFiniteDifferences() { gradientCheck(new MlpSpec(MlpActivation.GELU, false, 0), 0, 1e-2f); }

    // relu2 has a continuous slope, so finite differences are valid across its kink; with L1 the penalty's gradient is checked too.
    // Plain, |h| = relu(u)^2 is smooth; gated, |relu(g)^2 u| has a kink where u = 0, so the step is smaller there
    @Test
    void gatedRelu2WithL1GradientMatchesFiniteDifferences() { gradientCheck(new MlpSpec(MlpActivation.RELU2, true, 0), 0.5f, 1e-3f); }

    @Test
    void plainRelu2WithL1GradientMatchesFiniteDifferences() { gradientCheck(new MlpSpec(MlpActivation.RELU2, false, 0), 0.5f, 1e-2f); }

    @Test
    void topKKeepsExactlyKNonZerosPerTokenInTrainingAndInference() {
        int K = 7;   // of hidden 40
        LlamaConfig c = tiny(new MlpSpec(MlpActivation.GELU, true, K));
        TrainModel m = TrainModelTest.randomModel(c, 4);
        int T = 8;
        int[] tokens = TrainModelTest.randomTokens(T, c.vocabSize(), 5);
        float[] train = m.logits(tokens, 1, T).clone();
        LlamaModel inference = m.toLlamaModel("topk");
        int[] rows = {0};
        float[] logits = inference.runWithHooks(tokens, Hooks.of("blocks.*.mlp.hook_post", a -> {
            for (int t = 0; t < a.shape[0]; t++) {
                int nz = 0;
                for (int j = 0; j < a.shape[1]; j++) if (a.get(t, j) != 0f) nz++;
                assertEquals(K, nz, a.name + " position " + t);
                rows[0]++;
            }
        }));
        assertEquals(2 * T, rows[0]);
        for (int i = 0; i < logits.length; i++) assertEquals(logits[i], train[i], 1e-4f, "logit " + i);
        // training through top-k: the straight-through gradient reaches the up projection only via the kept entries
        m.zeroGrad();
        m.forward(tokens, TrainModelTest.randomTokens(T, c.vocabSize(), 6), 1, T);
        m.backward(1f);
        int zeroColumns = 0;
        float[] g = m.layer(0).wUp().grad();   // [hidden, dim]: a row is one hidden unit
        for (int j = 0; j < 40; j++) {
            boolean all = true;
            for (int k = 0; k < 16; k++) all &= g[j * 16 + k] == 0f;
            if (all) zeroColumns++;
        }
        assertTrue(zeroColumns < 40, "some hidden units carry a gradient");
    }

    /** For every activation and kind, blocks.L.mlp.hook_post is h, the down projection's input: hook_mlp_out = W_down h. */
    @Test
    void hookPostIsTheDownProjectionInputForEveryVariant() {
        for (MlpActivation act : MlpActivation.values())
            for (boolean gated : new boolean[]{true, false}) {
                MlpSpec mlp = new MlpSpec(act, gated, 0);
                TrainModel m = TrainModelTest.randomModel(tiny(mlp), 9);
                LlamaModel inf = m.toLlamaModel("hooks");
                int T = 5, C = 16, H = 40;
                int[] tokens = TrainModelTest.randomTokens(T, 32, 10);
                var cache = inf.runWithCache(tokens, n -> n.contains("mlp.hook_post") || n.endsWith("hook_mlp_out") || n.contains("mlp.hook_pre"));
                for (int l = 0; l < 2; l++) {
                    float[] h = cache.get("blocks." + l + ".mlp.hook_post").toArray(), out = cache.get("blocks." + l + ".hook_mlp_out").toArray();
                    assertEquals(T * H, h.length);
                    float[] down = m.layer(l).wDown().value();   // [C, H]
                    for (int t = 0; t < T; t++)
                        for (int c = 0; c < C; c++) {
                            double y = 0;
                            for (int j = 0; j < H; j++) y += (double) down[c * H + j] * h[t * H + j];
                            assertEquals(y, out[t * C + c], 1e-4, mlp.describe() + " layer " + l);
                        }
                    // and h is act(pre) (times pre_linear when gated)
                    float[] pre = cache.get("blocks." + l + ".mlp.hook_pre").toArray();
                    float[] lin = gated ? cache.get("blocks." + l + ".mlp.hook_pre_linear").toArray() : null;
                    assertEquals(gated, cache.contains("blocks." + l + ".mlp.hook_pre_linear"), "pre_linear fires for gated MLPs only");
                    for (int i = 0; i < h.length; i++)
                        assertEquals(act.value(pre[i]) * (gated ? lin[i] : 1), h[i], 1e-5 * Math.max(1, Math.abs(h[i])), mlp.describe());
                }
            }
    }

    @Test
    void variantsAreBitIdenticalWithOneAndTwoThreads() {
        for (MlpSpec mlp : new MlpSpec[]{new MlpSpec(MlpActivation.RELU, true, 6), new MlpSpec(MlpActivation.GELU, false, 0)}) {
            float[][] grads = new float[2][];
            float[] loss = new float[2];
            for (int threads = 1; threads <= 2; threads++) {
                try (Parallel par = new Parallel(threads)) {
                    TrainModel m = TrainModelTest.randomModel(tiny(mlp), 1).withParallel(par).withActL1(0.3f);
                    m.zeroGrad();
                    loss[threads - 1] = m.forward(TrainModelTest.randomTokens(32, 32, 2), TrainModelTest.randomTokens(32, 32, 3), 4, 8);
                    m.backward(1f);
                    grads[threads - 1] = m.params().stream().map(Param::grad).reduce(new float[0], (a, b) -> {
                        float[] c = Arrays.copyOf(a, a.length + b.length);
                        System.arraycopy(b, 0, c, a.length, b.length);
                        return c;
                    });
                }
            }
            assertEquals(loss[0], loss[1], 0f, mlp.describe());
            assertArrayEquals(grads[0], grads[1], mlp.describe());
        }
    }

    /** A relu model written as GGUF and read back runs with the training forward's logits. */
    @Test
    void exportedReluModelLoadsAndMatchesTheTrainingForward() throws Exception {
        for (MlpSpec mlp : new MlpSpec[]{new MlpSpec(MlpActivation.RELU, true, 0), new MlpSpec(MlpActivation.RELU, false, 0),
                new MlpSpec(MlpActivation.POLYRELU, true, 9)}) {
            LlamaConfig c = tiny(mlp);
            TrainModel m = TrainModelTest.randomModel(c, 7);
            int T = 8;
            int[] tokens = TrainModelTest.randomTokens(T, c.vocabSize(), 8);
            float[] train = m.logits(tokens, 1, T).clone();
            Path f = tmp.resolve(mlp.activation().key() + "-" + mlp.kind() + ".gguf");
            GgufLlamaWriter.export(m.toLlamaModel("x"), DType.F32, "test").write(f);
            LlamaModel loaded = ModelLoader.loadDecoder(f);
            assertEquals(mlp, loaded.config().mlp());
            assertEquals(mlp.gated(), loaded.weights().wGate()[0] != null);
            float[] ref = loaded.runWithHooks(tokens, Hooks.none());
            // same F32 weights, same order of operations per matmul row: agreement to float rounding
            for (int i = 0; i < ref.length; i++) assertEquals(ref[i], train[i], 1e-4f, mlp.describe() + " logit " + i);
        }
    }

    @Test
    void swiGluModelsWriteNoActlabKeys() throws Exception {
        TrainModel m = TrainModelTest.randomModel(TrainModelTest.tiny(), 7);
        Path f = tmp.resolve("swiglu.gguf");
        GgufLlamaWriter.export(m.toLlamaModel("x"), DType.F32, "test").write(f);
        String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        assertFalse(bytes.contains("actlab.mlp"), "an ordinary Llama file stays ordinary");
        assertEquals(MlpSpec.SWIGLU, ModelLoader.loadDecoder(f).config().mlp());
    }

    @Test
    void unknownMlpMetadataIsAFormatExceptionNamingFileAndKey() throws Exception {
        TrainModel m = TrainModelTest.randomModel(tiny(new MlpSpec(MlpActivation.RELU, true, 0)), 7);
        String[][] bad = {{GgufLlamaLoader.MLP_ACTIVATION, "swish"}, {GgufLlamaLoader.MLP_KIND, "moe"}, {GgufLlamaLoader.MLP_TOPK, "41"}};
        for (String[] kv : bad) {
            GgufWriter w = GgufLlamaWriter.export(m.toLlamaModel("x"), DType.F32, "test");
            w.put(kv[0], kv[0].endsWith("topk") ? GgufValue.u32(Integer.parseInt(kv[1])) : GgufValue.string(kv[1]));
            Path f = tmp.resolve("bad-" + kv[0] + ".gguf");
            w.write(f);
            FormatException e = assertThrows(FormatException.class, () -> ModelLoader.loadDecoder(f));
            assertEquals(kv[0], e.field());
            assertTrue(e.getMessage().contains(f.getFileName().toString()) && e.getMessage().contains(kv[1]), e.getMessage());
        }
    }

    @Test
    void checkpointKeepsTheMlpAndPenaltyAndResumeRefusesOthers() throws Exception {
        LlamaConfig c = new LlamaConfig("llama", 16, 40, 2, 4, 2, TokenStream.BYTE_VOCAB, 8, 1e-5f, 10000f, false, null, true,
                new MlpSpec(MlpActivation.RELU, false, 5));
        TrainSettings s = new TrainSettings(2, 8, 1, 1e-3f, 1e-4f, 1, 4, 0.1f, 1f, 3, 0.25f, "sine");
        byte[] text = "the quick brown fox jumps over the lazy dog. ".repeat(40).getBytes(StandardCharsets.UTF_8);
        Trainer t = Trainer.start(c, s, TokenStream.ofBytes(text));
        t.step();
        Path dir = tmp.resolve("ckpt");
        Checkpoint.save(dir, t);
        Checkpoint.Loaded l = Checkpoint.load(dir);
        assertEquals(c, l.config());
        assertEquals(s, l.settings());
        TrainOptions o = options(new MlpOptions("gelu", "gated", 5, 0.5f, "constant"), Set.of("--activation", "--mlp", "--mlp-topk", "--act-l1", "--act-l1-schedule"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> o.checkResume(l.settings(), l.config(), dir.toString()));
        for (String opt : new String[]{"--activation gives gelu", "--mlp gives gated", "--act-l1 gives 0.5", "--act-l1-schedule gives constant"})
            assertTrue(e.getMessage().contains(opt), e.getMessage());
        assertFalse(e.getMessage().contains("--mlp-topk"), "the same top-k is no conflict");
        // the same options, or none typed: no conflict
        options(new MlpOptions("relu", "plain", 5, 0.25f, "sine"), Set.of("--activation", "--mlp", "--act-l1", "--act-l1-schedule"))
                .checkResume(l.settings(), l.config(), dir.toString());
        // the sine schedule rises over the first half of the steps, then holds
        assertEquals(0f, s.actL1At(0), 0f);
        assertEquals(0.25f, s.actL1At(2), 1e-7f);
        assertEquals(0.25f * (float) Math.sin(Math.PI / 4), s.actL1At(1), 1e-7f);
        assertEquals(0.25f, s.actL1At(3), 1e-7f);
    }

    private static TrainOptions options(MlpOptions mlp, Set<String> given) {
        return new TrainOptions("x.txt", null, "tiny", "bytes", 2 * 8 * 4, Path.of("out"), 3, 1e-3f, 1e-4f, 1, 2, 1, 8, 0.1f, 1f,
                100, 4, 500, 10, true, null, "actlab", 0, null, null, 32, false, false, mlp, given);
    }

    @Test
    void badMlpOptionsAreRefusedByName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new MlpOptions("swish", null, null, null, null).spec()).getMessage().contains("--activation swish"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new MlpOptions(null, "moe", null, null, null).spec()).getMessage().contains("--mlp moe"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new MlpOptions(null, null, -1, null, null).spec()).getMessage().contains("--mlp-topk"));
    }

    @Test
    void reluficationKeepsTheWeightsAndChangesOnlyTheActivation() throws Exception {
        LlamaModel swiglu = TrainModelTest.randomModel(TrainModelTest.tiny(), 3).toLlamaModel("swiglu");
        TrainModel relu = TrainModel.from(swiglu, new MlpSpec(MlpActivation.RELU, true, 0));
        assertEquals(MlpActivation.RELU, relu.config().mlp().activation());
        assertArrayEquals(TrainModel.from(swiglu).layer(1).wGate().value(), relu.layer(1).wGate().value());
        assertThrows(IllegalArgumentException.class, () -> TrainModel.from(swiglu, new MlpSpec(MlpActivation.RELU, false, 0)));
    }
}
