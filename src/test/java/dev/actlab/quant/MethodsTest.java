package dev.actlab.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actlab.io.Progress;
import dev.actlab.model.eval.PairedPerplexity;
import dev.actlab.model.eval.QuantizationStats;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.tensor.F32Matrix;
import dev.actlab.tensor.Parallel;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RTN with clip search, AWQ, NoisyQuant, activation quantizers and the matmul decorator, on real models. */
class MethodsTest {

    @Test
    void clipSearchNeverLosesToRoundToNearestAndWinsSomewhere() throws Exception {
        QuantModel m = QuantModel.of(TestModels.brown());
        Quantizer q = new Quantizer(NumberFormat.INT4, Granularity.group(32));
        ClipSearch cs = new ClipSearch(q, 20, 0.5f);
        int rows = Linear.DOWN.rows(m.config()), cols = Linear.DOWN.cols(m.config());
        float[] w = m.weight(1, Linear.DOWN);
        float[] rtn = w.clone();
        q.apply(rtn, 0, rows, cols);
        float[] clipped = cs.quantize(w, rows, cols, Parallel.shared());
        int better = 0;
        for (int g = 0; g < rows * cols; g += 32) {
            double a = 0, b = 0;
            for (int i = g; i < g + 32; i++) { a += sq(w[i] - rtn[i]); b += sq(w[i] - clipped[i]); }
            assertTrue(b <= a * (1 + 1e-6), "group at " + g + ": clip search " + b + " > RTN " + a);
            if (b < a * 0.99) better++;
        }
        assertTrue(better > rows * cols / 32 / 10, "clipping pays in " + better + " groups");
    }

    static double sq(double d) { return d * d; }

    @Test
    void awqBeatsRoundToNearestOnItsLayerAndKeepsTheFloatFunctionWhenScalingAlone() throws Exception {
        LlamaModel base = TestModels.brown();
        QuantModel m = QuantModel.of(base);
        int[] tokens = TestModels.brownTokens(base);
        Calibration calib = Calibration.of(tokens, base.tokenizer().bosId(), 64, 4);
        Awq awq = new Awq(new Quantizer(NumberFormat.INT4, Granularity.ROW), 20);
        Awq.Sample smp = new Awq.Sample(Linear.GATE.cols(m.config()));
        calib.collect(m, 1, 1, EnumSet.of(Linear.GATE), (l, lin, x, n, cols) -> smp.add(x, n, 64), Progress.NONE);
        float[] s = awq.search(m, 1, ChannelScales.Site.MLP_IN, smp, Parallel.shared());
        double eAwq = outputError(m, smp, s, awq.quantizer()), eRtn = outputError(m, smp, null, awq.quantizer());
        assertTrue(eAwq < eRtn, "AWQ " + eAwq + " vs RTN " + eRtn);

        // the fold alone (no rounding) is exact
        QuantModel f = QuantModel.of(base);
        ChannelScales.fold(f, 1, ChannelScales.Site.MLP_IN, s);
        ChannelScales.fold(f, 1, ChannelScales.Site.O_IN, positive(f.config().kvDim(), 5));
        ChannelScales.fold(f, 1, ChannelScales.Site.DOWN_IN, positive(f.config().hiddenDim(), 6));
        int[] probe = java.util.Arrays.copyOf(tokens, 60);
        double d = TestModels.maxAbsDiff(base.runWithHooks(probe, Hooks.none()), f.build().runWithHooks(probe, Hooks.none()));
        assertTrue(d < 1e-4, "folded scales change the logits by " + d);

        new Awq(new Quantizer(NumberFormat.INT4, Granularity.group(64)), 10).apply(m, calib, Progress.NONE);
        for (Linear lin : Linear.values()) assertNotNull(m.weightQuantizer(4, lin));
    }

    /** n scales in [0.25, 4], log-uniform. */
    static float[] positive(int n, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[] s = new float[n];
        for (int i = 0; i < n; i++) s[i] = (float) Math.pow(2, r.nextDouble(-2, 2));
        return s;
    }

    /** |Q(W diag(s)) diag(s)^-1 X - W X|^2 over gate and up (s null: plain RTN). */
    static double outputError(QuantModel m, Awq.Sample smp, float[] s, Quantizer q) {
        double err = 0;
        int cols = smp.cols, n = smp.n;
        for (Linear lin : List.of(Linear.GATE, Linear.UP)) {
            int rows = lin.rows(m.config());
            float[] w = m.weight(1, lin), wq = w.clone();
            if (s != null) ChannelScales.scaleColumns(wq, rows, s);
            q.apply(wq, 0, rows, cols);
            if (s != null) for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) wq[i * cols + j] /= s[j];
            float[] a = new float[n * rows], b = new float[n * rows];
            F32Matrix.of(w, rows, cols).matmul(smp.rows, n, a, Parallel.shared());
            F32Matrix.of(wq, rows, cols).matmul(smp.rows, n, b, Parallel.shared());
            for (int i = 0; i < a.length; i++) err += sq(a[i] - b[i]);
        }
        return err;
    }

    @Test
    void quantizedLinearTransformsItsInputThenMultiplies() {
        int rows = 6, cols = 16;
        float[] w = QuantizerTest.gaussian(rows * cols, 1, 1f), x = QuantizerTest.gaussian(3 * cols, 2, 2f);
        float[] noise = QuantizerTest.gaussian(cols, 3, 0.1f);
        Rotation r = Rotation.hadamard(cols);
        ActivationQuantizer aq = ActivationQuantizer.perToken(NumberFormat.INT4, 1f);
        LinearInput in = new LinearInput(r, noise, aq);
        QuantizedLinear ql = new QuantizedLinear(F32Matrix.of(w, rows, cols), in);
        float[] out = new float[3 * rows];
        ql.matmul(x, 3, out, Parallel.shared());
        for (int t = 0; t < 3; t++) {
            float[] row = java.util.Arrays.copyOfRange(x, t * cols, (t + 1) * cols);
            r.apply(row, 0);
            for (int j = 0; j < cols; j++) row[j] += noise[j];
            aq.apply(row, 0, 1, cols);
            for (int i = 0; i < rows; i++) {
                double want = 0, wn = 0;
                for (int j = 0; j < cols; j++) { want += (double) w[i * cols + j] * row[j]; wn += (double) w[i * cols + j] * noise[j]; }
                assertEquals(want - wn, out[t * rows + i], 1e-4, "token " + t + " row " + i);
                assertEquals(out[t * rows + i], ql.dot(i, x, t * cols), 1e-5);
            }
        }
        assertArrayEquals(java.util.Arrays.copyOf(x, x.length), x, "the caller's input is not modified");
    }

    @Test
    void noisyQuantAtSixteenBitsIsTheFloatModelAndAtFourBitsCalibratesEveryInput() throws Exception {
        LlamaModel base = TestModels.brown();
        int[] tokens = TestModels.brownTokens(base);
        Calibration calib = Calibration.of(tokens, base.tokenizer().bosId(), 64, 3);
        int[] probe = java.util.Arrays.copyOf(tokens, 60);
        QuantModel m = QuantModel.of(base);
        new NoisyQuant(NumberFormat.integer(16, false), 1).apply(m, calib, Progress.NONE);
        double d = TestModels.maxAbsDiff(base.runWithHooks(probe, Hooks.none()), m.build().runWithHooks(probe, Hooks.none()));
        assertTrue(d < 0.05, "16-bit static quantization with the noise taken off again: logits differ by " + d);
        QuantModel m4 = QuantModel.of(base);
        new NoisyQuant(NumberFormat.INT8, 1).apply(m4, calib, Progress.NONE);
        for (Linear lin : Linear.values()) {
            LinearInput in = m4.input(2, lin);
            assertTrue(in.quantizer().isStatic() && in.noise() != null, lin + ": " + in);
            float step = in.quantizer().staticScale().scale();
            for (float v : in.noise()) assertTrue(Math.abs(v) <= step / 2, "noise within half a step");
        }
    }

    @Test
    void staticActivationScalesCoverTheCalibrationRange() throws Exception {
        LlamaModel base = TestModels.brown();
        Calibration calib = Calibration.of(TestModels.brownTokens(base), base.tokenizer().bosId(), 64, 3);
        QuantModel m = QuantModel.of(base);
        float[] amax = new float[1];
        calib.collect(m, 3, 3, EnumSet.of(Linear.DOWN), (l, lin, x, n, cols) -> { for (int i = 0; i < n * cols; i++) amax[0] = Math.max(amax[0], Math.abs(x[i])); }, Progress.NONE);
        new ActivationQuant(NumberFormat.INT8, Granularity.TENSOR, 1f).apply(m, calib, Progress.NONE);
        ActivationQuantizer q = m.input(3, Linear.DOWN).quantizer();
        assertTrue(q.isStatic());
        assertEquals(amax[0] / 127, q.staticScale().scale(), amax[0] / 127 * 1e-6, "scale = calibrated absmax / 127");
    }

    @Test
    void pairedEvaluationAgreesWithItself() throws Exception {
        LlamaModel base = TestModels.brown();
        int[][] w = PairedPerplexity.windows(TestModels.brownTokens(base), base.tokenizer().bosId(), 64, 0);
        QuantizationStats same = PairedPerplexity.run(base, List.of(QuantModel.of(base).build()), w, Progress.NONE).get(0);
        assertEquals(same.basePerplexity(), same.perplexity(), 1e-9);
        assertEquals(0, same.meanKld(), 1e-9);
        assertEquals(1.0, same.sameTop());
        QuantModel q = QuantModel.of(base);
        new Rtn(new Quantizer(NumberFormat.INT4, Granularity.TENSOR)).apply(q, null, Progress.NONE);
        QuantizationStats worse = PairedPerplexity.run(base, List.of(q.build()), w, Progress.NONE).get(0);
        assertTrue(worse.meanKld() > 0.01 && worse.sameTop() < 1 && worse.rmsDeltaP() > 0, worse.toString());
        assertTrue(worse.p99Kld() >= worse.p95Kld() && worse.p95Kld() >= worse.p90Kld() && worse.p90Kld() >= worse.medianKld() && worse.maxKld() >= worse.p999Kld());
        assertEquals(Math.log(worse.perplexity() / worse.basePerplexity()), worse.lnPplRatio(), 1e-9);
    }
}
