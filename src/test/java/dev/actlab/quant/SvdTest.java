package dev.actlab.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.tensor.WeightMatrix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The one-sided Jacobi SVD on random and real matrices: U and V orthonormal, A = U S V^T, singular values
 * sorted, truncation error equal to the dropped singular values (Eckart-Young), and singular values of a
 * matrix built with known ones recovered to an accuracy a Gram-matrix method cannot reach.
 */
class SvdTest {
    static double[] random(int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] a = new double[rows * cols];
        for (int i = 0; i < a.length; i++) a[i] = r.nextGaussian();
        return a;
    }

    static double frobenius(double[] a) { double s = 0; for (double x : a) s += x * x; return Math.sqrt(s); }

    /** Orthonormal columns, A = U S V^T, sorted non-negative singular values, sum s^2 = |A|_F^2, and Eckart-Young at several ranks. */
    static void check(double[] a, int rows, int cols, String what) {
        Svd svd = Svd.of(a, rows, cols);
        int r = Math.min(rows, cols);
        assertEquals(r, svd.rank(), what);
        double norm = frobenius(a), tol = 1e-12 * Math.max(1, norm);
        for (int i = 0; i < r; i++) {
            assertTrue(svd.singularValue(i) >= 0, what + ": s" + i);
            if (i > 0) assertTrue(svd.singularValue(i) <= svd.singularValue(i - 1), what + ": singular values not sorted at " + i);
            for (int j = 0; j <= i; j++) {
                double expect = i == j ? 1 : 0;
                if (svd.singularValue(i) > 0 && svd.singularValue(j) > 0)
                    assertEquals(expect, Svd.dot(svd.left(i), svd.left(j)), 1e-12, what + ": U^T U at " + i + "," + j);
                assertEquals(expect, Svd.dot(svd.right(i), svd.right(j)), 1e-12, what + ": V^T V at " + i + "," + j);
            }
        }
        double[] full = svd.truncate(r);
        double worst = 0;
        for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(full[i] - a[i]));
        assertTrue(worst < tol, what + ": |A - U S V^T|_max = " + worst);
        assertEquals(norm, svd.tailNorm(0), 1e-12 * norm, what + ": sum of s^2 is |A|_F^2");
        for (int k : new int[]{1, r / 4, r / 2, r - 1}) {
            if (k < 1) continue;
            double[] hat = svd.truncate(k);
            double[] d = new double[a.length];
            for (int i = 0; i < a.length; i++) d[i] = a[i] - hat[i];
            assertEquals(svd.tailNorm(k), frobenius(d), 1e-10 * norm, what + ": |A - A_k|_F against sqrt(sum of dropped s^2) at k = " + k);
        }
    }

    @Test
    void decomposesRandomMatricesOfEveryShape() {
        check(random(40, 40, 1), 40, 40, "40x40");
        check(random(70, 23, 2), 70, 23, "70x23 (tall)");
        check(random(17, 60, 3), 17, 60, "17x60 (wide)");
        check(random(1, 9, 4), 1, 9, "1x9");
        check(random(9, 1, 5), 9, 1, "9x1");
        // rank 5 of 30: the other singular values are zero to rounding
        double[] b = random(30, 5, 6), c = random(5, 30, 7), a = new double[30 * 30];
        for (int i = 0; i < 30; i++) for (int j = 0; j < 30; j++) for (int k = 0; k < 5; k++) a[i * 30 + j] += b[i * 5 + k] * c[k * 30 + j];
        check(a, 30, 30, "rank-5 30x30");
        Svd s = Svd.of(a, 30, 30);
        assertTrue(s.singularValue(5) < 1e-12 * s.singularValue(0), "s5 of a rank-5 matrix: " + s.singularValue(5));
    }

    @Test
    void decomposesTheDefaultDecodersMatrices() throws Exception {
        Path p = Path.of("models/actlab-brown.gguf");
        Assumptions.assumeTrue(Files.isRegularFile(p), "skipped: " + p.toAbsolutePath() + " is absent");
        LlamaModel m = ModelLoader.loadDecoder(p);
        var w = m.weights();
        check(dense(w.wDown()[2]), w.wDown()[2].rows(), w.wDown()[2].cols(), "blk.2.ffn_down");
        check(dense(w.wGate()[4]), w.wGate()[4].rows(), w.wGate()[4].cols(), "blk.4.ffn_gate");
        check(dense(w.wk()[0]), w.wk()[0].rows(), w.wk()[0].cols(), "blk.0.attn_k");
        check(dense(w.wo()[1]), w.wo()[1].rows(), w.wo()[1].cols(), "blk.1.attn_output");
    }

    static double[] dense(WeightMatrix m) {
        float[] f = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++) m.dequantizeRow(r, f, r * m.cols());
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /**
     * A = Q1 diag(s) Q2^T with s from 1 down to 1e-7 (condition number 1e7) and random orthogonal Q1, Q2: every s
     * comes back within 1e-13 of its value. Through the Gram matrix A^T A the smallest would carry an error
     * near eps / 1e-7 ~ 2e-9.
     */
    @Test
    void recoversKnownSingularValuesAcrossSevenDecades() {
        int m = 50, n = 30;
        double[] q1 = orthonormalColumns(m, n, 11), q2 = orthonormalColumns(n, n, 12);
        double[] s = new double[n];
        for (int i = 0; i < n; i++) s[i] = Math.pow(10, -7.0 * i / (n - 1));
        double[] a = new double[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) for (int k = 0; k < n; k++) a[i * n + j] += q1[i * n + k] * s[k] * q2[j * n + k];
        Svd svd = Svd.of(a, m, n);
        for (int i = 0; i < n; i++) assertEquals(s[i], svd.singularValue(i), 1e-13, "s" + i);
        assertTrue(Math.abs(svd.singularValue(n - 1) / s[n - 1] - 1) < 1e-5, "relative accuracy of the smallest: " + svd.singularValue(n - 1));
    }

    /** Gram-Schmidt (twice) of a Gaussian [rows, cols]: orthonormal columns. */
    static double[] orthonormalColumns(int rows, int cols, long seed) {
        double[] a = random(rows, cols, seed);
        for (int pass = 0; pass < 2; pass++)
            for (int j = 0; j < cols; j++) {
                for (int k = 0; k < j; k++) {
                    double d = 0;
                    for (int i = 0; i < rows; i++) d += a[i * cols + j] * a[i * cols + k];
                    for (int i = 0; i < rows; i++) a[i * cols + j] -= d * a[i * cols + k];
                }
                double nrm = 0;
                for (int i = 0; i < rows; i++) nrm += a[i * cols + j] * a[i * cols + j];
                nrm = Math.sqrt(nrm);
                for (int i = 0; i < rows; i++) a[i * cols + j] /= nrm;
            }
        return a;
    }

    @Test
    void refusesBadInput() {
        assertThrows(IllegalArgumentException.class, () -> Svd.of(new double[]{1, Double.NaN, 0, 1}, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> Svd.of(new double[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> Svd.of(new double[]{1, 2, 3, 4}, 2, 2).truncate(3));
    }
}
