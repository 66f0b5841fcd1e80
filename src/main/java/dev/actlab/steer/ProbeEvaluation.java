package dev.actlab.steer;

import dev.actlab.io.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Linear probes per site under k-fold cross-validation: a multinomial logistic regression
 * ({@link LinearProbe}) and a mass-mean probe ({@link MassMeanProbe}) are trained on k - 1 folds and
 * scored on the held-out fold; accuracy and AUROC are computed over every row's held-out prediction.
 * AUROC: for two classes, of the score of class 1 against class 0; for more, the mean over classes
 * of one class's score against the rest (macro one-vs-rest). Folds are stratified by class and
 * drawn with a seed, or, when rows come in groups (the two texts of a contrastive pair), made of
 * whole groups, so that no near-duplicate of a held-out row is trained on; with {@code shuffledControl} every probe is trained and scored once more on
 * labels permuted with the same seed (a control that should sit at chance).
 */
public final class ProbeEvaluation {
    public record Scores(double accuracy, double auroc) {}

    public record Site(String site, int layer, Scores logistic, Scores massMean, Scores logisticShuffled) {}

    public record Result(List<String> classes, int rows, int folds, boolean grouped, double l2, long seed, double majorityShare, List<Site> sites) {}

    private ProbeEvaluation() {}

    /** Stratified folds: fold[i] in [0, folds) for each row. */
    static int[] folds(int[] y, int classes, int folds, long seed) {
        int n = y.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) { int j = r.nextInt(i + 1); Integer t = order[i]; order[i] = order[j]; order[j] = t; }
        Arrays.sort(order, (a, b) -> Integer.compare(y[a], y[b]));   // stable: shuffled within each class
        int[] fold = new int[n];
        int[] seen = new int[classes];
        for (Integer i : order) fold[i] = seen[y[i]]++ % folds;
        return fold;
    }

    /** Folds of whole groups (groups[i] = the group of row i), the groups in a seeded random order dealt round-robin. */
    static int[] groupFolds(int[] groups, int folds, long seed) {
        int g = 0;
        for (int x : groups) g = Math.max(g, x + 1);
        int[] order = new int[g];
        for (int i = 0; i < g; i++) order[i] = i;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = g - 1; i > 0; i--) { int j = r.nextInt(i + 1); int t = order[i]; order[i] = order[j]; order[j] = t; }
        int[] foldOfGroup = new int[g];
        for (int i = 0; i < g; i++) foldOfGroup[order[i]] = i % folds;
        int[] fold = new int[groups.length];
        for (int i = 0; i < groups.length; i++) fold[i] = foldOfGroup[groups[i]];
        return fold;
    }

    /** A seeded permutation of the labels. */
    static int[] shuffled(int[] y, long seed) {
        int[] s = y.clone();
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (int i = s.length - 1; i > 0; i--) { int j = r.nextInt(i + 1); int t = s[i]; s[i] = s[j]; s[j] = t; }
        return s;
    }

    /** {logistic, mass-mean} held-out scores of rows x with labels y. */
    public static Scores[] crossValidate(float[][] x, int[] y, int classes, int folds, double l2, long seed) {
        return crossValidate(x, y, null, classes, folds, l2, seed);
    }

    /** As above, with folds of whole groups when groups is not null. */
    public static Scores[] crossValidate(float[][] x, int[] y, int[] groups, int classes, int folds, double l2, long seed) {
        int n = x.length;
        if (folds < 2) throw new IllegalArgumentException("--folds must be at least 2, got " + folds);
        int[] count = new int[classes];
        for (int c : y) count[c]++;
        for (int k = 0; k < classes; k++)
            if (count[k] < folds) throw new IllegalArgumentException("class " + k + " has " + count[k] + " rows; " + folds + "-fold cross-validation needs at least " + folds);
        int[] fold = groups == null ? folds(y, classes, folds, seed) : groupFolds(groups, folds, seed);
        double[][] lo = new double[n][], mm = new double[n][];
        for (int f = 0; f < folds; f++) {
            List<Integer> train = new ArrayList<>();
            for (int i = 0; i < n; i++) if (fold[i] != f) train.add(i);
            float[][] tx = new float[train.size()][];
            int[] ty = new int[train.size()];
            for (int i = 0; i < tx.length; i++) { tx[i] = x[train.get(i)]; ty[i] = y[train.get(i)]; }
            LinearProbe lp = LinearProbe.train(tx, ty, classes, l2, LinearProbe.DEFAULT_STEPS, LinearProbe.DEFAULT_LR);
            MassMeanProbe mp = MassMeanProbe.train(tx, ty, classes);
            for (int i = 0; i < n; i++) if (fold[i] == f) { lo[i] = lp.probabilities(x[i]); mm[i] = mp.scores(x[i]); }
        }
        return new Scores[]{score(lo, y, classes), score(mm, y, classes)};
    }

    static Scores score(double[][] s, int[] y, int classes) {
        int correct = 0;
        for (int i = 0; i < y.length; i++) if (argmax(s[i]) == y[i]) correct++;
        double auroc;
        if (classes == 2) {
            List<Double> pos = new ArrayList<>(), neg = new ArrayList<>();
            for (int i = 0; i < y.length; i++) (y[i] == 1 ? pos : neg).add(s[i][1] - s[i][0]);
            auroc = Auroc.of(unbox(pos), unbox(neg));
        } else {
            double sum = 0;
            int used = 0;
            for (int k = 0; k < classes; k++) {
                List<Double> pos = new ArrayList<>(), neg = new ArrayList<>();
                for (int i = 0; i < y.length; i++) (y[i] == k ? pos : neg).add(s[i][k]);
                double a = Auroc.of(unbox(pos), unbox(neg));
                if (!Double.isNaN(a)) { sum += a; used++; }
            }
            auroc = sum / used;
        }
        return new Scores((double) correct / y.length, auroc);
    }

    /**
     * Every site's probes. acts[site][row][d]; labels in [0, classes.size()).
     * @param progress sees (sites done, sites)
     */
    public static Result run(List<String> sites, List<Integer> layers, float[][][] acts, int[] labels, int[] groups, List<String> classes,
                             int folds, double l2, long seed, boolean shuffledControl, Progress progress) {
        int k = classes.size();
        int[] count = new int[k];
        for (int c : labels) count[c]++;
        int majority = Arrays.stream(count).max().orElse(0);
        int[] control = shuffledControl ? shuffled(labels, seed) : null;
        List<Site> out = new ArrayList<>();
        for (int s = 0; s < sites.size(); s++) {
            Scores[] r = crossValidate(acts[s], labels, groups, k, folds, l2, seed);
            Scores sh = control == null ? null : crossValidate(acts[s], control, groups, k, folds, l2, seed)[0];
            out.add(new Site(sites.get(s), layers.get(s), r[0], r[1], sh));
            if (progress != null) progress.update(s + 1, sites.size());
        }
        return new Result(List.copyOf(classes), labels.length, folds, groups != null, l2, seed, (double) majority / labels.length, out);
    }

    private static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static double[] unbox(List<Double> l) { return l.stream().mapToDouble(Double::doubleValue).toArray(); }
}
