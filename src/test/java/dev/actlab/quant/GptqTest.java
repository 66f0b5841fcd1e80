package dev.actlab.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.tensor.Parallel;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** GPTQ on real layers of the default decoder, against RTN and against a plain unblocked reference. */
class GptqTest {
    static final int LAYER = 2;

    /** Hessians of every projection of one layer from the test text (6 windows of 64 tokens). */
    static Map<Linear, Hessian> hessians(QuantModel m) {
        int[] tokens = TestModels.brownTokens(m.build());
        Calibration calib = Calibration.of(tokens, m.tokenizer().bosId(), 64, 6);
        Map<Linear, Hessian> hs = Gptq.sharedHessians(m, LAYER);
        Set<Hessian> seen = new HashSet<>();
        EnumSet<Linear> owners = EnumSet.noneOf(Linear.class);
        for (Linear lin : Linear.values()) if (seen.add(hs.get(lin))) owners.add(lin);
        assertEquals(EnumSet.of(Linear.Q, Linear.O, Linear.GATE, Linear.DOWN), owners, "q/k/v and gate/up share their inputs");
        calib.collect(m, LAYER, LAYER, owners, (l, lin, x, n, cols) -> hs.get(lin).add(x, n, Parallel.shared()), Progress.NONE);
        return hs;
    }

    @Test
    void errorIsBelowRoundToNearestOnEveryProjection() throws Exception {
        LlamaModel base = TestModels.brown();
        QuantModel m = QuantModel.of(base);
        Map<Linear, Hessian> hs = hessians(m);
        for (Quantizer q : new Quantizer[]{new Quantizer(NumberFormat.INT4, Granularity.ROW), new Quantizer(NumberFormat.INT4_ASYM, Granularity.group(64)),
                new Quantizer(NumberFormat.MXFP4, Granularity.ROW)})
            for (boolean actOrder : new boolean[]{false, true})
                for (Linear lin : Linear.values()) {
                    if (actOrder && q.granularity().kind() != Granularity.Kind.ROW) continue;
                    int rows = lin.rows(m.config()), cols = lin.cols(m.config());
                    float[] w = m.weight(LAYER, lin);
                    float[] rtn = w.clone();
                    q.apply(rtn, 0, rows, cols);
                    float[] gptq = Gptq.quantize(w, rows, cols, hs.get(lin), q, 128, 0.01, actOrder, Parallel.shared());
                    double eRtn = hs.get(lin).error(w, rtn, rows), eGptq = hs.get(lin).error(w, gptq, rows);
                    assertTrue(eGptq < 0.9 * eRtn, q + (actOrder ? " act-order " : " ") + lin + ": GPTQ " + eGptq + " vs RTN " + eRtn);
                }
    }

    @Test
    void resultLiesOnTheFormatsGrid() throws Exception {
        QuantModel m = QuantModel.of(TestModels.brown());
        Map<Linear, Hessian> hs = hessians(m);
        int rows = Linear.DOWN.rows(m.config()), cols = Linear.DOWN.cols(m.config());
        for (boolean actOrder : new boolean[]{false, true}) {
            float[] q = Gptq.quantize(m.weight(LAYER, Linear.DOWN), rows, cols, hs.get(Linear.DOWN),
                    new Quantizer(NumberFormat.INT4, Granularity.group(64)), 128, 0.01, actOrder, Parallel.shared());
            for (int r = 0; r < rows; r++)
                for (int g = 0; g < cols; g += 64) {
                    Set<Float> distinct = new HashSet<>();
                    for (int j = g; j < g + 64; j++) distinct.add(Math.abs(q[r * cols + j]));
                    assertTrue(distinct.size() <= 8, "row " + r + " group " + g + ": " + distinct.size() + " magnitudes for int4's 0..7");
                    assertTrue(oneStep(distinct), "row " + r + " group " + g + ": " + distinct + " are not k * step, k in 0..7");
                }
        }
    }

    /** Whether some step s makes every magnitude s * k for an integer k in [0, 7]. */
    static boolean oneStep(Set<Float> mags) {
        for (float v : mags)
            for (int k = 1; k <= 7 && v > 0; k++) {
                double s = v / (double) k;
                boolean ok = true;
                for (float u : mags) {
                    double kk = u / s;
                    if (Math.abs(kk - Math.rint(kk)) > 1e-3 || Math.rint(kk) > 7) { ok = false; break; }
                }
                if (ok) return true;
            }
        return mags.stream().allMatch(v -> v == 0);
    }

    @Test
    void aDiagonalHessianGivesRoundToNearest() {
        int rows = 5, cols = 40;
        float[] w = QuantizerTest.gaussian(rows * cols, 9, 1f);
        Hessian h = new Hessian(cols);
        float[] eye = new float[cols * cols];
        for (int i = 0; i < cols; i++) eye[i * cols + i] = 3f;      // rows 3 e_i: H = 9 I, nothing to compensate
        h.add(eye, cols, Parallel.shared());
        Quantizer q = new Quantizer(NumberFormat.INT4, Granularity.ROW);
        float[] rtn = w.clone();
        q.apply(rtn, 0, rows, cols);
        assertArrayEquals(rtn, Gptq.quantize(w, rows, cols, h, q, 16, 0.01, false, Parallel.shared()));
        assertArrayEquals(rtn, Gptq.quantize(w, rows, cols, h, q, 16, 0.01, true, Parallel.shared()));
    }

    /** The textbook algorithm: one column at a time, the whole rest of the row updated at once (no blocks). */
    static float[] reference(float[] w, int rows, int cols, double[][] u, Quantizer q) {
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            double[] row = new double[cols];
            float[] orig = new float[cols];
            for (int j = 0; j < cols; j++) { row[j] = w[r * cols + j]; orig[j] = w[r * cols + j]; }
            GroupScale s = q.format().fit(orig, 0, cols, 1f);
            for (int c = 0; c < cols; c++) {
                float qv = q.format().quantize((float) row[c], s);
                out[r * cols + c] = qv;
                double e = (row[c] - qv) / u[c][c];
                for (int j = c + 1; j < cols; j++) row[j] -= e * u[c][j];
            }
        }
        return out;
    }

    @Test
    void blockedEqualsTheUnblockedReference() throws Exception {
        QuantModel m = QuantModel.of(TestModels.brown());
        Map<Linear, Hessian> hs = hessians(m);
        Linear lin = Linear.Q;
        int rows = lin.rows(m.config()), cols = lin.cols(m.config());
        Hessian h = hs.get(lin);
        double[][] hd = h.matrix();
        double mean = 0;
        for (int i = 0; i < cols; i++) mean += hd[i][i] / cols;
        for (int i = 0; i < cols; i++) hd[i][i] += 0.01 * mean;
        double[][] u = Gptq.upperCholeskyOfInverse(hd);
        Quantizer q = new Quantizer(NumberFormat.INT4, Granularity.ROW);
        float[] want = reference(m.weight(0, lin), rows, cols, u, q);
        for (int block : new int[]{1, 7, 128, cols}) {
            float[] got = Gptq.quantize(m.weight(0, lin), rows, cols, h, q, block, 0.01, false, Parallel.shared());
            int same = 0;
            for (int i = 0; i < got.length; i++) if (got[i] == want[i]) same++;
            assertTrue(same >= 0.999 * got.length, "block " + block + ": " + same + " of " + got.length + " values equal the reference");
        }
    }

    @Test
    void wholeModelStepQuantizesEveryProjection() throws Exception {
        LlamaModel base = TestModels.stories260K();
        QuantModel m = QuantModel.of(base);
        Calibration calib = Calibration.of(TestModels.storiesTokens(600), 1, 64, 4);
        new Gptq(new Quantizer(NumberFormat.INT8, Granularity.ROW), 32, 0.01f, true).apply(m, calib, Progress.NONE);
        for (int l = 0; l < m.layers(); l++) for (Linear lin : Linear.values()) assertTrue(m.weightQuantizer(l, lin) != null);
        assertTrue(m.steps().get(0).startsWith("gptq(w=int8"), m.steps().toString());
        assertThrows(IllegalArgumentException.class, () -> new Gptq(new Quantizer(NumberFormat.INT4, Granularity.ROW), 0, 0.01f, false));
        assertThrows(IllegalArgumentException.class, () -> new Gptq(new Quantizer(NumberFormat.INT4, Granularity.ROW), 128, 0f, false));
    }
}
