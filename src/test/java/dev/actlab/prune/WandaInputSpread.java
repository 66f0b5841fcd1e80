package dev.actlab.prune;

import dev.actlab.io.Progress;
import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.load.ModelLoader;
import dev.actlab.quant.Calibration;
import dev.actlab.quant.Linear;
import dev.actlab.quant.QuantModel;
import dev.actlab.train.BrownCorpus;
import dev.actlab.train.TokenStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;

/**
 * Why Wanda differs little from magnitude pruning on a model: per projection, how unequal the input
 * norms ||X_j||_2 are over the calibration tokens (coefficient of variation, largest over median) and
 * the fraction of the weights magnitude pruning removes at 50% that Wanda removes too (same row-wise
 * comparison groups, on the dense model). Wanda can only differ where the norms differ. The README's
 * figures under "Wanda against magnitude". Not a test. Run (32 windows of 256 tokens of Brown's training split):
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes:target/lib/* dev.actlab.prune.WandaInputSpread MODEL.gguf [WINDOWS]
 */
public final class WandaInputSpread {
    public static void main(String[] args) throws Exception {
        LlamaModel m = ModelLoader.loadDecoder(Path.of(args[0]));
        int windows = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        String all = Files.readString(BrownCorpus.fetch(Path.of(System.getProperty("user.home"), ".cache", "actlab")));
        int[] tokens = m.tokenizer().encode(all.substring(0, TokenStream.heldOutStart(all)), false);
        Calibration calib = Calibration.of(tokens, m.tokenizer().bosId(), 256, windows);
        QuantModel q = QuantModel.of(m);
        LlamaConfig c = q.config();
        double[][][] sumSq = new double[q.layers()][Linear.values().length][];
        calib.collect(q, EnumSet.allOf(Linear.class), (l, lin, x, n, cols) -> {
            double[] acc = sumSq[l][lin.ordinal()];
            if (acc == null) acc = sumSq[l][lin.ordinal()] = new double[cols];
            for (int t = 0; t < n; t++) for (int j = 0; j < cols; j++) acc[j] += (double) x[t * cols + j] * x[t * cols + j];
        }, Progress.NONE);
        System.out.printf("%-20s %8s %12s %16s%n", "projection", "cv |X_j|", "max/median", "masks agree 50%");
        PruningPattern half = PruningPattern.unstructured(0.5);
        for (int l = 0; l < q.layers(); l++)
            for (Linear lin : Linear.values()) {
                int rows = lin.rows(c), cols = lin.cols(c);
                double[] norm = WandaPruning.norms(sumSq[l][lin.ordinal()]);
                float[] w = q.weight(l, lin);
                long both = 0, pruned = 0;
                double[] mag = new double[cols], wanda = new double[cols];
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < cols; j++) { mag[j] = Math.abs(w[r * cols + j]); wanda[j] = mag[j] * norm[j]; }
                    boolean[] a = half.select(mag, cols), b = half.select(wanda, cols);
                    for (int j = 0; j < cols; j++) { if (a[j]) pruned++; if (a[j] && b[j]) both++; }
                }
                double[] sorted = norm.clone();
                Arrays.sort(sorted);
                System.out.printf(Locale.ROOT, "%-20s %8.3f %12.2f %16.3f%n", lin.nameAt(l), cv(norm), sorted[cols - 1] / sorted[cols / 2], (double) both / pruned);
            }
    }

    static double cv(double[] v) {
        double mean = 0, var = 0;
        for (double x : v) mean += x / v.length;
        for (double x : v) var += (x - mean) * (x - mean) / v.length;
        return Math.sqrt(var) / mean;
    }
}
