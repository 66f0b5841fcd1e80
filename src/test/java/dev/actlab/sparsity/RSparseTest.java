package dev.actlab.sparsity;

import static org.junit.jupiter.api.Assertions.*;

import dev.actlab.io.Progress;
import dev.actlab.model.eval.Perplexity;
import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.KvCache;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.quant.Svd;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * R-Sparse on the default decoder: the low-rank part is the truncated SVD (checked against prune's Jacobi SVD),
 * a rank-aware layer computes W s(x) + W_r (x - s(x)) (checked in double), the weight budget holds, share 1 is
 * WINA bit for bit, and its quality at 50% against TEAL at 50% (printed; which is better is measured, not assumed).
 */
class RSparseTest {
    @TempDir Path dir;

    @Test
    void lowRankPartIsTheTruncatedSvdOfTheWeights() throws Exception {
        LlamaModel m = TealTest.brown();
        for (WeightMatrix w : new WeightMatrix[]{m.weights().wGate()[1], m.weights().wk()[2]}) {
            int rows = w.rows(), cols = w.cols(), rank = 12;
            double[] a = new double[rows * cols];
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) { w.dequantizeRow(r, row, 0); for (int c = 0; c < cols; c++) a[r * cols + c] = row[c]; }
            Svd svd = Svd.of(a, rows, cols);
            double tail = 0;
            for (int i = rank; i < svd.singularValues().length; i++) tail += svd.singularValues()[i] * svd.singularValues()[i];
            LowRankPart p = LowRankPart.of(w, rank);
            double err = 0;
            for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) { double e = a[r * cols + c] - p.at(r, c); err += e * e; }
            // the best rank-r residual is the tail of the singular values (Eckart-Young); subspace iteration reaches it to 1%
            assertEquals(tail, err, 0.01 * tail, "[" + rows + ", " + cols + "] rank " + rank);
            assertEquals(rank * (rows + cols), p.weights());
        }
    }

    @Test
    void aRankAwareLayerIsTheSparseProductPlusTheLowRankProductOfTheSkippedInputs() throws Exception {
        LlamaModel m = TealTest.brown();
        WeightMatrix w = m.weights().wDown()[0];
        int rows = w.rows(), cols = w.cols(), n = 3;
        SplittableRandom rnd = new SplittableRandom(3);
        float[] x = new float[n * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float t = 0.7f;
        LowRankPart p = LowRankPart.of(w, 20);
        RankAwareMatrix ra = new RankAwareMatrix(new SparseInputMatrix(w, null, t, null), p);
        float[] got = new float[n * rows], one = new float[rows];
        ra.matmul(x, n, got, Parallel.shared());
        float[] wr = new float[cols];
        int skipped = 0;
        for (int tok = 0; tok < n; tok++) {
            float[] x1 = java.util.Arrays.copyOfRange(x, tok * cols, (tok + 1) * cols);
            ra.matmul(x1, 1, one, Parallel.shared());   // decode path agrees with the batch path
            for (int r = 0; r < rows; r++) {
                w.dequantizeRow(r, wr, 0);
                double y = 0, mag = 0;
                for (int c = 0; c < cols; c++) {
                    double v = x[tok * cols + c];
                    double weight = Math.abs(v) < t ? p.at(r, c) : wr[c];   // skipped inputs see the low-rank weights
                    y += weight * v;
                    mag += Math.abs(weight * v);
                    if (r == 0 && Math.abs(v) < t) skipped++;
                }
                assertEquals(y, got[tok * rows + r], 1e-5 * mag, "token " + tok + ", row " + r);
                assertEquals(got[tok * rows + r], one[r], 1e-5 * mag, "decode, token " + tok + ", row " + r);
            }
        }
        assertTrue(skipped > n * cols / 3, skipped + " inputs skipped");
    }

    @Test
    void shareOneIsWinaBitForBitAndTheBudgetHolds() throws Exception {
        LlamaModel m = TealTest.brown();
        CalibrationText calib = CalibrationText.of(m, null, 512);
        SiteDistributions d = SiteDistributions.collect("rsparse", m, calib, Progress.NONE);
        int[] tokens = m.tokenizer().encode("The jury said that the election was conducted", true);
        SparseModel rs1 = SparseModel.of(m, d.rsparse(0.5, 1.0), true);
        SparseModel wina = SparseModel.of(m, SparsitySpec.calibrate("wina", m, calib, 0.5, Progress.NONE), true);
        assertArrayEquals(wina.model().runWithHooks(tokens, Hooks.none()), rs1.model().runWithHooks(tokens, Hooks.none()), 0f, "share 1, prefill");
        KvCache a = wina.model().newCache(), b = rs1.model().newCache();
        for (int t : tokens) assertArrayEquals(wina.model().forward(a, new int[]{t}, Hooks.none(), false), rs1.model().forward(b, new int[]{t}, Hooks.none(), false), 0f, "share 1, decode");

        Thresholds th = d.rsparse(0.5, 0.8);
        for (Thresholds.Site s : th.sites()) assertEquals(0.6, s.target(), 1e-9, s.name() + ": activation sparsity 1 - 0.5 * 0.8");
        SparseModel rs = SparseModel.of(m, th, true);
        var w = m.weights();
        for (int l = 0; l < m.config().layers(); l++)
            for (WeightMatrix x : new WeightMatrix[]{rs.model().weights().wq()[l], rs.model().weights().wDown()[l]}) {
                RankAwareMatrix ra = assertInstanceOf(RankAwareMatrix.class, x);
                int rows = ra.rows(), cols = ra.cols(), r = ra.lowRankPart().rank;
                assertTrue(r > 0, "rank " + r);
                // kept columns at the calibrated activation sparsity plus the low-rank part fit in (1 - s) of the weights
                assertTrue((1 - 0.6) * rows * cols + r * (rows + cols) <= 0.5 * rows * cols + 1e-6, "layer " + l + " budget");
                assertTrue((1 - 0.6) * rows * cols + (r + 1) * (rows + cols) > 0.5 * rows * cols, "layer " + l + ": the largest rank that fits");
            }
        assertEquals(w.wq().length, m.config().layers());
        // a thresholds file round trip keeps what the ranks are computed from
        Path f = dir.resolve("rsparse.json");
        th.write(f);
        Thresholds back = Thresholds.read(f);
        assertEquals("rsparse", back.method());
        assertEquals(th.target(), back.target());
        for (int i = 0; i < th.sites().size(); i++) assertEquals(th.sites().get(i).target(), back.sites().get(i).target(), 1e-12);
    }

    @Test
    void rsparseAgainstTealAtEqualWeightSparsityOnHeldOutText() throws Exception {
        LlamaModel m = TealTest.brown();
        CalibrationText calib = CalibrationText.of(m, null, 1024);
        int[] eval = CatsChessTest.heldOut(m);
        int ctx = m.config().contextLength();
        double dense = Perplexity.run(m, eval, ctx, Hooks.none(), null, null, Progress.NONE).perplexity();
        SparseModel teal = SparseModel.of(m, SparsitySpec.calibrate("teal", m, calib, 0.5, Progress.NONE), false);
        double tealPpl = Perplexity.run(teal.model(), eval, ctx, Hooks.none(), null, null, Progress.NONE).perplexity();
        SparseModel rs = SparseModel.of(m, SparsitySpec.calibrate("rsparse", m, calib, 0.5, Progress.NONE), false);
        double rsPpl = Perplexity.run(rs.model(), eval, ctx, Hooks.none(), null, null, Progress.NONE).perplexity();
        System.out.printf("held-out %d tokens: dense ppl %.3f; TEAL 0.5: %.3f (%+.2f%%, weight sparsity %.3f); R-Sparse 0.5 (share %.2f): %.3f (%+.2f%%, weight sparsity %.3f) -> %s%n",
                eval.length, dense, tealPpl, 100 * (tealPpl / dense - 1), teal.weightSparsity(), RankAware.SPARSE_SHARE, rsPpl, 100 * (rsPpl / dense - 1),
                rs.weightSparsity(), rsPpl < tealPpl ? "R-Sparse better" : "TEAL better");
        // equal sparsity: both skip about half of the block weights (R-Sparse net of its low-rank reads)
        assertEquals(teal.weightSparsity(), rs.weightSparsity(), 0.05, "weight sparsity TEAL vs R-Sparse");
        assertTrue(rs.weightSparsity() > 0.4, "R-Sparse weight sparsity " + rs.weightSparsity());
        // both cost something and neither is broken
        assertTrue(tealPpl > dense && rsPpl > dense * 0.999, "dense " + dense + ", teal " + tealPpl + ", rsparse " + rsPpl);
        assertTrue(rsPpl < 2 * dense, "R-Sparse perplexity " + rsPpl + " against dense " + dense);
    }
}
