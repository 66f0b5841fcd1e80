package dev.actlab.bench;

import dev.actlab.model.hook.Hooks;
import dev.actlab.model.llama.LlamaModel;
import dev.actlab.model.llama.LlamaWeights;
import dev.actlab.model.load.ModelRef;
import dev.actlab.tensor.Parallel;
import dev.actlab.tensor.WeightMatrix;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Where a prefill's time goes (issue 20): per round, a real prefill of N tokens (tok/s, wall), then every
 * layer's wq, wk, wv, wo, gate, up, down matmul on N tokens in a prefill's order, timed per matrix kind
 * (GFLOP/s, wall) at THREADS threads and, for the 2-thread scaling, at one thread. The prefill's time minus
 * the matmuls' is what attention, norms, RoPE, SiLU, the embedding, the last position's unembedding and
 * the hand-offs cost. Not a test.
 * <p>With SWITCH (a boolean field of {@code model.llama.PrefillChoice} or {@code tensor.KernelChoice}): an A/B of whole
 * prefills instead, the switch off and on alternating (order swapped every round), tok/s best / median per side and
 * the median of per-round ratios on / off.
 * <pre>
 * java --add-modules jdk.incubator.vector -cp 'target/classes:target/test-classes:target/lib/*' \
 *   dev.actlab.bench.PrefillProfile MODEL.gguf THREADS ROUNDS [N [SWITCH]]
 * </pre>
 */
public final class PrefillProfile {
    private static final String[] KINDS = {"wq", "wk", "wv", "wo", "gate", "up", "down"};

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[1]), rounds = Integer.parseInt(args[2]);
        int n = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        Parallel.setDefaultThreads(threads);
        Parallel par = Parallel.shared();
        LlamaModel m = ModelRef.decoder(args[0], 1);
        m.withParallel(par);
        LlamaWeights w = m.weights();
        WeightMatrix[][] kinds = {w.wq(), w.wk(), w.wv(), w.wo(), w.wGate(), w.wUp(), w.wDown()};
        int[] prompt = new SplittableRandom(7).ints(n, 0, m.vocabSize()).toArray();
        System.out.printf("model %s, %d threads, %d tokens%n", args[0], threads, n);
        if (args.length > 4) { abSwitch(m, prompt, rounds, args[4]); return; }
        try (Parallel one = new Parallel(1)) {
            double bestPrefill = Double.MAX_VALUE;
            double[] best = new double[KINDS.length], bestOne = new double[KINDS.length];
            Arrays.fill(best, Double.MAX_VALUE);
            Arrays.fill(bestOne, Double.MAX_VALUE);
            for (int r = -1; r < rounds; r++) {   // round -1 warms up
                long t0 = System.nanoTime();
                m.forward(m.newCache(), prompt, Hooks.none(), false);
                double prefillMs = (System.nanoTime() - t0) / 1e6;
                double[] ms = layerMatmuls(kinds, n, par), msOne = layerMatmuls(kinds, n, one);
                if (r < 0) continue;
                bestPrefill = Math.min(bestPrefill, prefillMs);
                double sum = 0;
                for (int k = 0; k < KINDS.length; k++) { best[k] = Math.min(best[k], ms[k]); bestOne[k] = Math.min(bestOne[k], msOne[k]); sum += ms[k]; }
                System.out.printf("round %d: prefill %.1f ms (%.1f tok/s), matmuls %.1f ms, rest %.1f ms%n", r, prefillMs, n / prefillMs * 1e3, sum, prefillMs - sum);
            }
            double sum = 0, sumOne = 0, flopsAll = 0;
            for (int k = 0; k < KINDS.length; k++) {
                WeightMatrix x = kinds[k][0];
                double flops = 2.0 * x.rows() * x.cols() * n * kinds[k].length;
                flopsAll += flops;
                sum += best[k];
                sumOne += bestOne[k];
                System.out.printf("  %-5s %2d x [%5d, %5d] %-4s %7.2f ms %6.1f GFLOP/s at %d threads; 1 thread %7.2f ms %6.1f GFLOP/s: x%.2f%n",
                        KINDS[k], kinds[k].length, x.rows(), x.cols(), x.dtype(), best[k], flops / best[k] / 1e6, threads,
                        bestOne[k], flops / bestOne[k] / 1e6, bestOne[k] / best[k]);
            }
            System.out.printf("best prefill %.1f ms (%.1f tok/s, %.1f GFLOP/s of layer matmuls); sum of best matmuls %.1f ms (%.1f GFLOP/s; 1 thread %.1f ms, x%.2f); rest %.1f ms (%.0f%%)%n",
                    bestPrefill, n / bestPrefill * 1e3, flopsAll / bestPrefill / 1e6, sum, flopsAll / sum / 1e6, sumOne, sumOne / sum,
                    bestPrefill - sum, 100 * (bestPrefill - sum) / bestPrefill);
        }
    }

    /** Milliseconds per matrix kind, every layer's matrix of that kind once, in a prefill's order. */
    private static double[] layerMatmuls(WeightMatrix[][] kinds, int n, Parallel par) {
        double[] ms = new double[KINDS.length];
        for (int l = 0; l < kinds[0].length; l++)
            for (int k = 0; k < KINDS.length; k++) {
                WeightMatrix wm = kinds[k][l];
                float[] x = new float[n * wm.cols()], y = new float[n * wm.rows()];
                for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
                long t0 = System.nanoTime();
                wm.matmul(x, n, y, par);
                ms[k] += (System.nanoTime() - t0) / 1e6;
            }
        return ms;
    }

    /** Whole prefills with the switch off and on, alternating; tok/s best / median per side, median of per-round ratios. */
    private static void abSwitch(LlamaModel m, int[] prompt, int rounds, String name) throws Exception {
        java.lang.reflect.Field f;
        try { f = dev.actlab.model.llama.PrefillChoice.class.getField(name); }
        catch (NoSuchFieldException e) { f = dev.actlab.tensor.KernelChoice.class.getField(name); }
        boolean saved = f.getBoolean(null);
        double[][] tps = new double[2][rounds];
        double[] ratio = new double[rounds];
        try {
            for (int r = -2; r < rounds; r++)
                for (int i = 0; i < 2; i++) {
                    int side = (r & 1) == 0 ? i : 1 - i;   // 0 = off, 1 = on
                    f.setBoolean(null, side == 1);
                    long t0 = System.nanoTime();
                    m.forward(m.newCache(), prompt, Hooks.none(), false);
                    double v = prompt.length / ((System.nanoTime() - t0) / 1e9);
                    if (r >= 0) tps[side][r] = v;
                }
        } finally { f.setBoolean(null, saved); }
        for (int r = 0; r < rounds; r++) ratio[r] = tps[1][r] / tps[0][r];
        System.out.printf("%s off: %s%n%s on:  %s%n", name, Arrays.toString(round1(tps[0])), name, Arrays.toString(round1(tps[1])));
        System.out.printf("%s: off %.1f / %.1f tok/s, on %.1f / %.1f (best / median); on / off: best x%.3f, median x%.3f, per-round median x%.3f%n",
                name, max(tps[0]), BestMedian.median(tps[0]), max(tps[1]), BestMedian.median(tps[1]),
                max(tps[1]) / max(tps[0]), BestMedian.median(tps[1]) / BestMedian.median(tps[0]), BestMedian.median(ratio));
    }

    private static double max(double[] v) { return Arrays.stream(v).max().orElseThrow(); }

    private static double[] round1(double[] v) { return Arrays.stream(v).map(x -> Math.round(x * 10) / 10.0).toArray(); }
}
