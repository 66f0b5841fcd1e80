package dev.actlab.train;

import dev.actlab.tensor.QuantFormat;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.tensor.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class QatTest {
    static Trainer run(QatSettings qat, int steps) {
        TrainSettings s = TrainerTest.settings(steps, 5);
        TrainModel m = new TrainModel(TrainerTest.byteModel(32));
        m.initialize(5);
        Trainer t = Trainer.fineTune(m.withQat(qat), s, TrainerTest.data());
        return t;
    }

    @Test
    void qatAtSixteenBitsEqualsFp32TrainingWithin1e5() {
        Trainer fp = run(null, 30), q16 = run(new QatSettings(QuantFormat.INT16, QuantFormat.INT16, 32), 30);
        float maxDiff = 0, first = Float.NaN, last = Float.NaN;
        while (!fp.done()) {
            float a = fp.step().loss(), b = q16.step().loss();
            if (Float.isNaN(first)) first = a;
            last = a;
            maxDiff = Math.max(maxDiff, Math.abs(a - b));
            assertEquals(a, b, 1e-5f, "loss at step " + fp.stepsDone());
        }
        assertEquals(fp.heldOutLoss(2), q16.heldOutLoss(2), 1e-5f, "held-out loss after training");
        assertTrue(last < first - 0.5f, "the run must actually train: loss " + first + " -> " + last);
        // and the quantizer was on: INT16 rounding moves the losses, just by less than 1e-5
        assertTrue(maxDiff > 0, "INT16 fake quantization changed nothing: was it applied?");
    }

    @Test
    void fourBitQatTrainsFullPrecisionMasterWeights() {
        Trainer q = run(QatSettings.parse("w4a4", 32), 5), fp = run(null, 5);
        float q0 = q.heldOutLoss(2), fp0 = fp.heldOutLoss(2);
        assertNotEquals(fp0, q0, "w4a4 must change the forward pass");
        while (!q.done()) q.step();
        // the optimizer's weights are not on the INT4 grid: quantizing them changes them
        float[] w = q.model().layer(0).wq().value(), fq = new float[w.length];
        FakeQuant.forward(fq, w, 32, 32, QuantFormat.INT4, 32, Parallel.shared());
        int differ = 0;
        for (int i = 0; i < w.length; i++) if (w[i] != fq[i]) differ++;
        assertTrue(differ > w.length / 2, "master weights stay full precision, " + differ + " of " + w.length + " off the grid");
    }

    /** y = fq(x) fq(W)^T, loss = sum(y * r): the STE gradients against finite differences of the plain matmul at (fq(x), fq(W)). */
    @Test
    void steGradientEqualsTheGradientOfTheUnquantizedOp() {
        int n = 5, in = 48, out = 7;   // 48 = a group of 32 and one of 16
        SplittableRandom rng = new SplittableRandom(9);
        float[] x = new float[n * in], w = new float[out * in], r = new float[n * out];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = (float) rng.nextGaussian();
        for (int i = 0; i < r.length; i++) r[i] = (float) rng.nextGaussian();
        Parallel par = Parallel.shared();
        for (QuantFormat f : new QuantFormat[]{QuantFormat.INT4, QuantFormat.INT8, QuantFormat.FP8_E4M3}) {
            float[] xq = new float[x.length], wq = new float[w.length];
            FakeQuant.forward(xq, x, n, in, f, 32, par);
            FakeQuant.forward(wq, w, out, in, f, 32, par);
            // QAT backward: the matmul's gradients for its quantized operands, passed straight through
            float[] dxq = new float[x.length], dwq = new float[w.length], dx = new float[x.length], dw = new float[w.length];
            Matmul.backward(dxq, dwq, r, xq, wq, n, in, out, par);
            FakeQuant.backward(dx, dxq, dx.length);
            FakeQuant.backward(dw, dwq, dw.length);
            java.util.function.DoubleSupplier loss = () -> {
                float[] y = new float[n * out];
                Matmul.forward(y, xq, wq, n, in, out, par);
                double s = 0;
                for (int i = 0; i < y.length; i++) s += (double) y[i] * r[i];
                return s;
            };
            GradCheck.check(f + " dx", xq, dx, loss, 1e-2f, 1e-3, 1e-4, x.length, 1);
            GradCheck.check(f + " dW", wq, dw, loss, 1e-2f, 1e-3, 1e-4, w.length, 2);
        }
    }

    /** Weight-only QAT: the master gradient is exactly the gradient of the FP32 model holding the quantized weights. */
    @Test
    void weightQatGradientIsTheFp32GradientAtTheQuantizedWeights() {
        var c = TrainModelTest.tiny();
        TrainModel q = TrainModelTest.randomModel(c, 4).withQat(new QatSettings(QuantFormat.INT4, null, 8));
        TrainModel plain = TrainModelTest.randomModel(c, 4);
        for (int l = 0; l < c.layers(); l++) {
            TrainModel.Layer L = plain.layer(l);
            for (Param p : new Param[]{L.wq(), L.wk(), L.wv(), L.wo(), L.wGate(), L.wUp(), L.wDown()})
                FakeQuant.forward(p.value(), p.value(), p.shape()[0], p.shape()[1], QuantFormat.INT4, 8, Parallel.shared());
        }
        int[] tok = TrainModelTest.randomTokens(2 * 8, c.vocabSize(), 1), tgt = TrainModelTest.randomTokens(2 * 8, c.vocabSize(), 2);
        assertEquals(plain.forward(tok, tgt, 2, 8), q.forward(tok, tgt, 2, 8));
        plain.backward(1f);
        q.backward(1f);
        for (int i = 0; i < q.params().size(); i++)
            assertArrayEquals(plain.params().get(i).grad(), q.params().get(i).grad(), q.params().get(i).name());
    }

    @Test
    void parsesTheCommandLineFormats() {
        QatSettings q = QatSettings.parse("w4a8", 32);
        assertEquals(QuantFormat.INT4, q.weightFormat());
        assertEquals(QuantFormat.INT8, q.activationFormat());
        assertEquals(QuantFormat.FP8_E4M3, QatSettings.parse("fp8", 16).activationFormat());
        assertThrows(IllegalArgumentException.class, () -> QatSettings.parse("w3a8", 32));
        assertThrows(IllegalArgumentException.class, () -> QatSettings.parse("w4a4", 0));
    }
}
