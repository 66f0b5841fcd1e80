package dev.actlab.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actlab.model.llama.LlamaModel;
import dev.actlab.quant.Calibration;
import dev.actlab.quant.Hessian;
import dev.actlab.quant.Linear;
import dev.actlab.quant.QuantModel;
import dev.actlab.tensor.Parallel;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * SparseGPT on a real matrix (blk.0.attn_q of the default decoder, 192 x 192) and its inputs captured
 * through a hook, against a plain unblocked implementation written here: its own Hessian in double, its own
 * inverse (Gauss-Jordan) and Cholesky factor, and every update applied at once to all later columns.
 */
class SparseGptPruningTest {
    static final int BLOCK = 64;
    static final double DAMP = 0.01;

    @Test
    void matchesAnUnblockedReferenceAndReconstructsBetterThanMagnitudeAndWanda() throws Exception {
        LlamaModel base = PruningTestModels.brown();
        Calibration calib = PruningTestModels.calibration(base);
        Linear lin = Linear.Q;
        int rows = lin.rows(base.config()), cols = lin.cols(base.config());
        float[][] x = PruningTestModels.inputs(base, calib, 0, lin);
        float[] w = QuantModel.of(base).weight(0, lin);
        int n = x.length;
        float[] flat = new float[n * cols];
        for (int t = 0; t < n; t++) System.arraycopy(x[t], 0, flat, t * cols, cols);
        Hessian h = new Hessian(cols);
        h.add(flat, n, Parallel.shared());

        for (PruningPattern p : new PruningPattern[]{PruningPattern.unstructured(0.5), PruningPattern.nm("2:4"), PruningPattern.unstructured(0.3)}) {
            float[] got, two;
            try (Parallel one = new Parallel(1); Parallel pair = new Parallel(2)) {
                got = SparseGptPruning.prune(w, rows, cols, h, p, BLOCK, DAMP, one);
                two = SparseGptPruning.prune(w, rows, cols, h, p, BLOCK, DAMP, pair);
            }
            assertArrayEquals(got, two, "the same bits for 1 and 2 threads");
            float[] ref = reference(w, rows, cols, x, p);
            double maxW = 0;
            for (float v : w) maxW = Math.max(maxW, Math.abs(v));
            for (int i = 0; i < w.length; i++) {
                assertEquals(ref[i] == 0, got[i] == 0, p.label() + ": mask at row " + i / cols + " col " + i % cols);
                assertEquals(ref[i], got[i], 1e-4 * maxW, p.label() + ": weight at row " + i / cols + " col " + i % cols);
            }

            float[] magnitude = w.clone(), wanda = w.clone();
            double[] norm = new double[cols];
            for (float[] r : x) for (int j = 0; j < cols; j++) norm[j] += (double) r[j] * r[j];
            for (int j = 0; j < cols; j++) norm[j] = Math.sqrt(norm[j]);
            WandaPruning.prune(wanda, rows, cols, norm, p);
            double[] ones = new double[cols];
            Arrays.fill(ones, 1);
            WandaPruning.prune(magnitude, rows, cols, ones, p);                  // |W_ij| * 1: magnitude pruning
            double eS = error(w, got, rows, cols, x), eW = error(w, wanda, rows, cols, x), eM = error(w, magnitude, rows, cols, x);
            assertTrue(eS < eW && eS < eM, p.label() + ": ||(W - W')X||^2 sparsegpt " + eS + ", wanda " + eW + ", magnitude " + eM);
        }
    }

    /** sum over tokens of |(W - P) x|^2, directly. */
    static double error(float[] w, float[] pruned, int rows, int cols, float[][] x) {
        double e = 0;
        for (float[] t : x)
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int j = 0; j < cols; j++) s += ((double) w[r * cols + j] - pruned[r * cols + j]) * t[j];
                e += s * s;
            }
        return e;
    }

    /** Plain SparseGPT: no lazy batches; the mask chosen at the start of every BLOCK columns (unstructured) or M columns (N:M). */
    static float[] reference(float[] w, int rows, int cols, float[][] x, PruningPattern p) {
        double[][] h = new double[cols][cols];
        for (float[] t : x) for (int i = 0; i < cols; i++) for (int j = 0; j < cols; j++) h[i][j] += (double) t[i] * t[j];
        boolean[] dead = new boolean[cols];
        double mean = 0;
        for (int i = 0; i < cols; i++) { if (h[i][i] == 0) { dead[i] = true; h[i][i] = 1; } mean += h[i][i] / cols; }
        for (int i = 0; i < cols; i++) h[i][i] += DAMP * mean;
        double[][] inv = invert(h);
        double[][] low = new double[cols][cols];                    // Cholesky of H^-1: H^-1 = L L^T, U = L^T
        for (int j = 0; j < cols; j++) {
            double d = inv[j][j];
            for (int k = 0; k < j; k++) d -= low[j][k] * low[j][k];
            low[j][j] = Math.sqrt(d);
            for (int i = j + 1; i < cols; i++) {
                double s = inv[i][j];
                for (int k = 0; k < j; k++) s -= low[i][k] * low[j][k];
                low[i][j] = s / low[j][j];
            }
        }
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            double[] row = new double[cols];
            for (int j = 0; j < cols; j++) row[j] = dead[j] ? 0 : w[r * cols + j];
            boolean[] pruned = new boolean[cols];
            for (int i = 0; i < cols; i++) {
                int span = p.isNm() ? p.m() : BLOCK;
                if (i % span == 0) {
                    int end = Math.min(cols, i + span);
                    int count = p.isNm() ? p.m() - p.n() : (int) (Math.round(p.sparsity() * end) - Math.round(p.sparsity() * i));
                    final double[] cur = row;
                    Integer[] idx = IntStream.range(i, end).boxed().toArray(Integer[]::new);
                    Arrays.sort(idx, Comparator.comparingDouble((Integer j) -> cur[j] * cur[j] / (low[j][j] * low[j][j])).thenComparingInt(j -> j));
                    for (int k = 0; k < idx.length; k++) pruned[idx[k]] = k < count;
                }
                double q = pruned[i] ? 0 : row[i];
                out[r * cols + i] = (float) q;
                double e = (row[i] - q) / low[i][i];
                for (int j = i + 1; j < cols; j++) row[j] -= e * low[j][i];
            }
        }
        return out;
    }

    /** Gauss-Jordan inverse with partial pivoting. */
    static double[][] invert(double[][] a) {
        int n = a.length;
        double[][] m = new double[n][2 * n];
        for (int i = 0; i < n; i++) { System.arraycopy(a[i], 0, m[i], 0, n); m[i][n + i] = 1; }
        for (int c = 0; c < n; c++) {
            int piv = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
            double[] t = m[c]; m[c] = m[piv]; m[piv] = t;
            double d = m[c][c];
            for (int k = 0; k < 2 * n; k++) m[c][k] /= d;
            for (int r = 0; r < n; r++) {
                if (r == c || m[r][c] == 0) continue;
                double f = m[r][c];
                for (int k = 0; k < 2 * n; k++) m[r][k] -= f * m[c][k];
            }
        }
        double[][] inv = new double[n][n];
        for (int i = 0; i < n; i++) System.arraycopy(m[i], n, inv[i], 0, n);
        return inv;
    }
}
