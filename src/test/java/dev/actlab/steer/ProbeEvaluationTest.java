package dev.actlab.steer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Linear probes under cross-validation: a planted linearly separable feature is found, shuffled labels are not. */
class ProbeEvaluationTest {
    static float[][] gaussian(int n, int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] x = new float[n][d];
        for (float[] row : x) for (int j = 0; j < d; j++) row[j] = (float) r.nextGaussian();
        return x;
    }

    static float[] direction(int d, long seed) { return gaussian(1, d, seed)[0]; }

    static double dot(float[] a, float[] b) { double s = 0; for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i]; return s; }

    @Test
    void aPlantedSeparableFeatureIsFoundAndShuffledLabelsSitAtChance() {
        int n = 300, d = 32;
        float[][] x = gaussian(n, d, 1);
        float[] u = direction(d, 2);
        double norm = Math.sqrt(dot(u, u));
        for (int j = 0; j < d; j++) u[j] /= (float) norm;
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {   // the label is the side of a hyperplane; every row is pushed 0.3 away from it (a margin)
            y[i] = dot(x[i], u) > 0 ? 1 : 0;
            for (int j = 0; j < d; j++) x[i][j] += (float) ((y[i] == 1 ? 0.3 : -0.3) * u[j]);
        }
        ProbeEvaluation.Scores[] s = ProbeEvaluation.crossValidate(x, y, 2, 5, 1e-3, 7);
        assertTrue(s[0].accuracy() > 0.98, "logistic " + s[0]);
        assertTrue(s[0].auroc() > 0.995, "logistic " + s[0]);
        assertTrue(s[1].accuracy() > 0.85 && s[1].auroc() > 0.95, "mass-mean " + s[1]);
        int[] shuffled = ProbeEvaluation.shuffled(y, 7);
        ProbeEvaluation.Scores[] c = ProbeEvaluation.crossValidate(x, shuffled, 2, 5, 1e-3, 7);
        assertEquals(0.5, c[0].accuracy(), 0.1, "shuffled labels: logistic at chance " + c[0]);
        assertEquals(0.5, c[0].auroc(), 0.1, "shuffled labels: AUROC at chance " + c[0]);
        assertEquals(0.5, c[1].accuracy(), 0.1, "shuffled labels: mass-mean at chance " + c[1]);
    }

    @Test
    void threeClassesAndMacroAuroc() {
        int n = 450, d = 24;
        float[][] x = gaussian(n, d, 3);
        float[][] w = {direction(d, 4), direction(d, 5), direction(d, 6)};
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int k = i % 3;
            y[i] = k;
            for (int j = 0; j < d; j++) x[i][j] += 1.5f * w[k][j];   // class k sits around 1.5 w_k
        }
        ProbeEvaluation.Scores[] s = ProbeEvaluation.crossValidate(x, y, 3, 5, 1e-3, 1);
        assertTrue(s[0].accuracy() > 0.9 && s[0].auroc() > 0.97, "logistic " + s[0]);
        assertTrue(s[1].accuracy() > 0.9, "mass-mean " + s[1]);
        var r = ProbeEvaluation.run(List.of("a"), List.of(0), new float[][][]{x}, ProbeEvaluation.shuffled(y, 2), null, List.of("p", "q", "r"), 5, 1e-3, 1, false, null);
        assertEquals(1.0 / 3, r.sites().get(0).logistic().accuracy(), 0.1, "shuffled: a third");
    }

    @Test
    void foldsAreStratifiedAndSeeded() {
        int[] y = new int[100];
        for (int i = 0; i < 100; i++) y[i] = i < 30 ? 1 : 0;
        int[] f = ProbeEvaluation.folds(y, 2, 5, 9);
        for (int k = 0; k < 5; k++) {
            int ones = 0, all = 0;
            for (int i = 0; i < 100; i++) if (f[i] == k) { all++; if (y[i] == 1) ones++; }
            assertEquals(20, all);
            assertEquals(6, ones, "each fold has the class balance of the whole");
        }
        assertArrayEquals(f, ProbeEvaluation.folds(y, 2, 5, 9));
        assertFalse(java.util.Arrays.equals(f, ProbeEvaluation.folds(y, 2, 5, 10)), "another seed, other folds");
        assertThrows(IllegalArgumentException.class, () -> ProbeEvaluation.crossValidate(gaussian(6, 2, 1), new int[]{0, 0, 0, 0, 1, 1}, 2, 5, 0, 1),
                "too few rows of a class for the folds");
    }
}
