package dev.actlab.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actlab.io.Progress;
import dev.actlab.model.hook.HookSite;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.quant.Calibration;
import dev.actlab.quant.Granularity;
import dev.actlab.quant.NumberFormat;
import dev.actlab.quant.QuantModel;
import dev.actlab.quant.Quantizer;
import dev.actlab.quant.Recipe;
import dev.actlab.quant.RecipeException;
import dev.actlab.quant.Rtn;
import dev.actlab.quant.Svd;
import dev.actlab.quant.Linear;
import dev.actlab.quant.LowRankBudget;
import dev.actlab.quant.LowRankFactors;
import dev.actlab.tensor.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Low-rank compression of the default decoder, checked against the projections' inputs captured here
 * independently (hooks on the dense model, the norm weights applied by hand): the whitened SVD's output
 * error |(W - W-hat) X|_F is never above the plain SVD's at the same rank, it equals what the whitened
 * truncation says it left (minus the damping term), the reported errors match, and ratio 1 gives back
 * the dense model's logits.
 */
class LowRankTest {
    static final String TEXT = """
            When the train pulled into the station the platform was nearly empty. A porter wheeled a cart of mail
            bags toward the baggage car, and two boys sat on a bench eating apples and watching the engine breathe
            steam into the cold air. The conductor looked at his watch, then at the clock above the ticket window,
            and shook his head. They were four minutes late, and the line to the coast had been late all week.
            In the city council, the debate over the new bridge went on past midnight. One member read a long
            letter from the engineers, who said that the old piers could not carry the weight of modern trucks.
            Another asked who would pay for the work, and whether the state would lend the money at a fair rate.
            The mayor promised a report within a month, and the meeting ended with no vote at all.
            Scientists at the university have measured the speed at which the glacier moves down the valley. Their
            instruments, placed on the ice last summer, show that it travels nearly a foot a day in the warm months
            and much less in winter. The results suggest that the glacier is shrinking faster than anyone expected.
            She opened the letter slowly, as if she already knew what it said. Her brother had written from the
            farm that the harvest was poor, that their father was ill, and that he hoped she would come home for
            Christmas. She folded the page, put it back in the envelope, and sat for a long time by the window.
            """;
    static final int CTX = 64, WINDOWS = 8;
    static final double DAMP = 1e-3;

    static LlamaModel base;
    static Calibration calib;
    static LowRank.Prepared prepared;
    static Map<String, double[]> inputs = new HashMap<>();   // "layer/site" -> X [tokens, cols], double
    static Map<String, Integer> tokenCounts = new HashMap<>();

    @BeforeAll
    static void setUp() throws Exception {
        Path p = Path.of("models/actlab-brown.gguf");
        Assumptions.assumeTrue(Files.isRegularFile(p), "skipped: " + p.toAbsolutePath() + " is absent");
        base = ModelLoader.loadDecoder(p);
        int[] tokens = base.tokenizer().encode(TEXT, false);
        calib = Calibration.of(tokens, base.tokenizer().bosId(), CTX, WINDOWS);
        prepared = LowRank.prepare(base, calib, true, true, DAMP, Parallel.shared(), label -> Progress.NONE);
        captureInputs();
    }

    /** Every projection's input rows over the calibration windows, through hooks on the dense model. */
    static void captureInputs() {
        LlamaConfig c = base.config();
        Map<String, java.util.List<float[]>> rows = new HashMap<>();
        HookSite[] sites = {HookSite.LN1_NORMALIZED, HookSite.ATTN_Z, HookSite.LN2_NORMALIZED, HookSite.MLP_POST};
        Hooks hooks = new Hooks();
        for (int l = 0; l < c.layers(); l++)
            for (HookSite s : sites) {
                String key = l + "/" + s;
                float[] norm = s == HookSite.LN1_NORMALIZED ? base.weights().attnNorm()[l] : s == HookSite.LN2_NORMALIZED ? base.weights().ffnNorm()[l] : null;
                hooks.add(s.nameAt(l), a -> {
                    int n = a.shape[0], cols = a.size() / n;
                    float[] x = a.toArray();
                    for (int t = 0; t < n; t++) {
                        float[] row = new float[cols];
                        for (int i = 0; i < cols; i++) row[i] = norm == null ? x[t * cols + i] : x[t * cols + i] * norm[i];
                        rows.computeIfAbsent(key, k -> new java.util.ArrayList<>()).add(row);
                    }
                });
            }
        for (int w = 0; w < calib.windows(); w++) base.run(calib.window(w), hooks);
        for (var e : rows.entrySet()) {
            int n = e.getValue().size(), cols = e.getValue().get(0).length;
            double[] x = new double[n * cols];
            for (int t = 0; t < n; t++) for (int i = 0; i < cols; i++) x[t * cols + i] = e.getValue().get(t)[i];
            inputs.put(e.getKey(), x);
            tokenCounts.put(e.getKey(), n);
        }
    }

    /** |D X^T|_F^2 for D [rows, cols] and the captured rows of the projection's input. */
    static double outputError2(int layer, Linear lin, double[] d, int rows, int cols) {
        String key = layer + "/" + lin.inputSite;
        double[] x = inputs.get(key);
        int n = tokenCounts.get(key);
        double sum = 0;
        for (int t = 0; t < n; t++)
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int i = 0; i < cols; i++) s += d[r * cols + i] * x[t * cols + i];
                sum += s * s;
            }
        return sum;
    }

    static double[] diff(float[] w, float[] hat) {
        double[] d = new double[w.length];
        for (int i = 0; i < w.length; i++) d[i] = (double) w[i] - hat[i];
        return d;
    }

    @Test
    void whitenedOutputErrorIsNeverAbovePlainAtTheSameRank() {
        LlamaConfig c = base.config();
        for (double ratio : new double[]{0.5, 0.3})
            for (int l = 0; l < c.layers(); l++)
                for (Linear lin : Linear.values()) {
                    int rows = lin.rows(c), cols = lin.cols(c), k = LowRankBudget.rank(ratio, rows, cols);
                    float[] w = prepared.dense().weight(l, lin);
                    double plain = outputError2(l, lin, diff(w, prepared.factors(l, lin, false).reconstruct(k)), rows, cols);
                    double white = outputError2(l, lin, diff(w, prepared.factors(l, lin, true).reconstruct(k)), rows, cols);
                    assertTrue(white <= plain, lin.nameAt(l) + " rank " + k + ": whitened |(W - W')X|^2 " + white + " above plain " + plain);
                }
    }

    /** |(W - W') S|_F^2 = |(W - W') X|_F^2 + lambda |W - W'|_F^2, and the left side is the whitened SVD's dropped s^2. */
    @Test
    void whitenedTruncationLeavesExactlyItsDroppedSingularValues() {
        LlamaConfig c = base.config();
        for (int l = 0; l < c.layers(); l++)
            for (Linear lin : Linear.values()) {
                int rows = lin.rows(c), cols = lin.cols(c), k = LowRankBudget.rank(0.5, rows, cols);
                LowRankFactors f = prepared.factors(l, lin, true);
                double[] d = diff(prepared.dense().weight(l, lin), f.reconstruct(k));
                double plain2 = 0;
                for (double v : d) plain2 += v * v;
                double lhs = outputError2(l, lin, d, rows, cols) + f.whitening().lambda() * plain2, tail = f.tailNorm(k);
                assertEquals(tail * tail, lhs, 2e-3 * tail * tail, lin.nameAt(l) + " rank " + k);
            }
    }

    @Test
    void reportedErrorsMatchTheCapturedInputs() {
        LlamaConfig c = base.config();
        for (boolean whiten : new boolean[]{false, true}) {
            LowRank.Result r = LowRank.compress(prepared, new LowRank.Setting(0.5, whiten), Parallel.shared());
            assertEquals(c.layers() * Linear.values().length, r.matrices().size());
            long params = 0;
            for (LowRank.MatrixResult m : r.matrices()) {
                int l = Integer.parseInt(m.name().split("\\.")[1]);
                Linear lin = null;
                for (Linear x : Linear.values()) if (m.name().equals(x.nameAt(l))) lin = x;
                float[] w = prepared.dense().weight(l, lin), hat = r.model().weight(l, lin);
                double[] d = diff(w, hat), zero = diff(w, new float[w.length]);
                double rel = 0, norm = 0;
                for (int i = 0; i < d.length; i++) { rel += d[i] * d[i]; norm += zero[i] * zero[i]; }
                assertEquals(Math.sqrt(rel / norm), m.relativeError(), 1e-9, m.name());
                if (whiten) {                                   // the activation-weighted error from the inputs captured here (one method: it is costly)
                    double act = Math.sqrt(outputError2(l, lin, d, m.rows(), m.cols()) / outputError2(l, lin, zero, m.rows(), m.cols()));
                    assertEquals(act, m.activationError(), 1e-3 * act, m.name() + " activation-weighted error");
                }
                assertTrue(m.rank() * (long) (m.rows() + m.cols()) <= 0.5 * m.rows() * m.cols()
                        && (m.rank() + 1) * (long) (m.rows() + m.cols()) > 0.5 * m.rows() * m.cols(), m.name() + ": rank " + m.rank());
                params += m.parameters();
            }
            assertEquals(params, r.blockParameters());
            assertTrue(r.blockParameters() <= r.blockDenseParameters() / 2, r.blockParameters() + " of " + r.blockDenseParameters());
        }
    }

    @Test
    void ratioOneGivesBackTheDenseLogits() {
        int[] window = calib.window(3);
        float[] dense = base.runWithHooks(window, Hooks.none());
        double scale = 0;
        for (float v : dense) scale = Math.max(scale, Math.abs(v));
        for (boolean whiten : new boolean[]{false, true}) {
            LowRank.Result r = LowRank.compress(prepared, new LowRank.Setting(1.0, whiten), Parallel.shared());
            for (LowRank.MatrixResult m : r.matrices()) assertEquals(Math.min(m.rows(), m.cols()), m.rank(), m.name());
            assertEquals(r.blockDenseParameters(), r.blockParameters());
            float[] got = r.model().build().runWithHooks(window, Hooks.none());
            double worst = 0;
            for (int i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - dense[i]));
            assertTrue(worst < 1e-4 * scale, (whiten ? "whitened" : "plain") + ": max |logit diff| " + worst + " of logits up to " + scale);
        }
    }

    /** Matrices are cut one per task: one thread or two, the same bits. */
    @Test
    void compressionIsTheSameOnOneAndTwoThreads() {
        LowRank.Setting s = new LowRank.Setting(0.3, true);
        LowRank.Result one, two;
        try (Parallel p1 = new Parallel(1); Parallel p2 = new Parallel(2)) {
            one = LowRank.compress(prepared, s, p1);
            two = LowRank.compress(prepared, s, p2);
        }
        for (int l = 0; l < base.config().layers(); l++)
            for (Linear lin : Linear.values())
                assertTrue(java.util.Arrays.equals(one.model().weight(l, lin), two.model().weight(l, lin)), lin.nameAt(l));
        assertEquals(one.matrices(), two.matrices());
    }

    @Test
    void rankBudgetAndBadRatios() {
        assertEquals(48, LowRankBudget.rank(0.5, 192, 192), "48 * 384 = 0.5 * 192^2");
        assertEquals(192, LowRankBudget.rank(1.0, 192, 192));
        assertEquals(1, LowRankBudget.rank(0.001, 64, 192), "at least rank 1");
        assertEquals(192L * 192, LowRankBudget.parameters(192, 192, 192), "full rank is stored dense");
        for (double bad : new double[]{0, -0.5, 1.01, Double.NaN})
            assertThrows(IllegalArgumentException.class, () -> new LowRank.Setting(bad, true), "ratio " + bad);
    }

    /** Relative distance max|a - b| / max|b| of two logit arrays. */
    static double logitDistance(float[] a, float[] b) {
        double d = 0, scale = 0;
        for (int i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(b[i])); }
        return d / scale;
    }

    /**
     * quantize's recipe step lowrank(...) cuts the same matrices as actlab lowrank (bit for bit), each of the
     * budget's rank (checked by an SVD of the result), and a later step quantizes the cut matrices.
     */
    @Test
    void recipeStepCutsTheSameMatricesAndComposesWithQuantization() {
        LlamaConfig c = base.config();
        QuantModel viaRecipe = QuantModel.of(base);
        Recipe.parse("lowrank(r=0.5, whiten, damp=0.001)").apply(viaRecipe, calib, i -> Progress.NONE);
        LowRank.Result viaCommand = LowRank.compress(prepared, new LowRank.Setting(0.5, true), Parallel.shared());
        for (int l = 0; l < c.layers(); l++)
            for (Linear lin : Linear.values()) {
                float[] w = viaRecipe.weight(l, lin);
                assertTrue(java.util.Arrays.equals(viaCommand.model().weight(l, lin), w), lin.nameAt(l));
                int rows = lin.rows(c), cols = lin.cols(c), k = LowRankBudget.rank(0.5, rows, cols);
                double[] a = new double[w.length];
                for (int i = 0; i < a.length; i++) a[i] = w[i];
                Svd svd = Svd.of(a, rows, cols);
                assertTrue(svd.singularValue(k) < 1e-5 * svd.singularValue(0) && svd.singularValue(k - 1) > 1e-3 * svd.singularValue(0),
                        lin.nameAt(l) + ": rank " + k + " expected, singular values " + svd.singularValue(k - 1) + ", " + svd.singularValue(k));
            }

        QuantModel composed = QuantModel.of(base);
        Recipe.parse("lowrank(r=0.5, whiten)+rtn(w8)").apply(composed, calib, i -> Progress.NONE);
        QuantModel byHand = viaRecipe.copy();
        new Rtn(new Quantizer(NumberFormat.INT8, Granularity.ROW)).apply(byHand, null, Progress.NONE);
        for (int l = 0; l < c.layers(); l++)
            for (Linear lin : Linear.values())
                assertTrue(java.util.Arrays.equals(byHand.weight(l, lin), composed.weight(l, lin)), lin.nameAt(l) + " rounded after the cut");
        assertTrue(composed.steps().get(0).startsWith("lowrank(r=0.5, whiten, damp=0.001) ["), composed.steps().toString());

        QuantModel late = QuantModel.of(base);
        Recipe r = Recipe.parse("rtn(w8)+lowrank(r=0.5)");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.apply(late, calib, i -> Progress.NONE));
        assertTrue(e.getMessage().contains("lowrank") && e.getMessage().contains("before any quantization"), e.getMessage());
    }

    /**
     * Whitening makes the cut depend on the function, not on the input basis: after hadamard (an exact
     * rotation, norms folded in, online Hadamard before o and down) the whitened cut gives almost the
     * model it gives without it (only the damping term lambda |W - W'|^2 is not invariant), while plain
     * SVD of the rotated, norm-scaled weights differs far more. This fails if the step calibrated on
     * inputs other than the ones the rotated model multiplies.
     */
    @Test
    void whitenedRecipeStepSeesTheRotatedInputs() {
        int[] window = calib.window(5);
        float[] white = cut("lowrank(r=0.5, whiten, damp=0.000001)").runWithHooks(window, Hooks.none());
        float[] rotatedWhite = cut("hadamard+lowrank(r=0.5, whiten, damp=0.000001)").runWithHooks(window, Hooks.none());
        float[] plain = cut("lowrank(r=0.5)").runWithHooks(window, Hooks.none());
        float[] rotatedPlain = cut("hadamard+lowrank(r=0.5)").runWithHooks(window, Hooks.none());
        double whiteGap = logitDistance(rotatedWhite, white), plainGap = logitDistance(rotatedPlain, plain);
        assertTrue(whiteGap < 0.1 * plainGap, "whitened cut with and without rotation differ by " + whiteGap + ", plain cuts by " + plainGap);
    }

    static LlamaModel cut(String recipe) {
        QuantModel q = QuantModel.of(base);
        Recipe.parse(recipe).apply(q, calib, i -> Progress.NONE);
        return q.build();
    }

    @Test
    void recipeErrorsNameThePosition() {
        for (String bad : new String[]{"lowrank", "lowrank(r=0)", "lowrank(r=1.5)", "lowrank(r=0.5, x=1)", "lowrank(r=0.5, whiten=maybe)", "lowrank(r=0.5, damp=0)"})
            assertThrows(RecipeException.class, () -> Recipe.parse(bad), bad);
        assertTrue(Recipe.parse("lowrank(r=0.5, whiten)").calibrates());
        assertTrue(!Recipe.parse("lowrank(r=0.5)").calibrates());
        assertEquals("W4A16", Recipe.parse("lowrank(r=0.5,whiten)+gptq(w4)").bitsLabel());
    }
}
