package dev.actlab.bench;

import dev.actlab.model.llama.LlamaConfig;
import dev.actlab.model.llama.LlamaShape;
import dev.actlab.tensor.KernelChoice;
import dev.actlab.tensor.Parallel;
import dev.actlab.train.AdamW;
import dev.actlab.train.GradientClipping;
import dev.actlab.train.TrainModel;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * In-process A/B of training-step kernel switches (KernelChoice fields, old path = false), for
 * the throughput work of issue 21. Not a test. Rounds alternate old and new so a neighbour's load
 * hits both alike; each round times a few full steps (forward, cross-entropy, backward, clipping,
 * AdamW) in process CPU time (all threads), against the one-core FMA peak measured just before it.
 * <pre>
 * java --add-modules jdk.incubator.vector -cp 'target/classes:target/test-classes:target/lib/*' \
 *   dev.actlab.bench.TrainStepAB (brown|small) THREADS ROUNDS SWITCH[,SWITCH...]
 * </pre>
 */
public final class TrainStepAB {
    public static void main(String[] args) throws Exception {
        String preset = args[0];
        int threads = Integer.parseInt(args[1]), rounds = Integer.parseInt(args[2]);
        String[] switches = args[3].split(",");
        int batch = preset.equals("small") ? 16 : 8, ctx = 256, vocab = 4096, steps = preset.equals("small") ? 2 : 3;
        LlamaConfig c = LlamaShape.trainingPreset(preset).config(ctx, vocab);
        try (Parallel par = new Parallel(threads)) {
            TrainModel m = new TrainModel(c).withParallel(par);
            m.initialize(1);
            AdamW opt = AdamW.standard(m.params(), 0.1f);
            SplittableRandom rng = new SplittableRandom(1);
            int[] inputs = rng.ints(batch * ctx, 0, vocab).toArray(), targets = rng.ints(batch * ctx, 0, vocab).toArray();
            double flopsPerStep = 3 * m.forwardFlopsPerToken(ctx) * batch * ctx;
            for (int on = 0; on < 2; on++) { set(switches, on == 1); for (int s = 0; s < 2; s++) step(m, opt, inputs, targets, batch, ctx); }
            double[][] percent = new double[2][rounds], perCpu = new double[2][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < 2; k++) {
                    int on = (r + k) % 2;   // alternate which goes first
                    set(switches, on == 1);
                    double peak = FmaPeak.measure(1, 200);
                    long cpu0 = cpuNanos();
                    for (int s = 0; s < steps; s++) step(m, opt, inputs, targets, batch, ctx);
                    double g = steps * flopsPerStep / (cpuNanos() - cpu0);
                    perCpu[on][r] = g;
                    percent[on][r] = 100 * g / peak;
                }
                System.out.printf("round %d: old %.1f GFLOP/CPU-s (%.1f%% of peak), new %.1f (%.1f%%), new/old %.3f%n", r + 1,
                        perCpu[0][r], percent[0][r], perCpu[1][r], percent[1][r], perCpu[1][r] / perCpu[0][r]);
            }
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) ratio[r] = perCpu[1][r] / perCpu[0][r];
            System.out.printf("%s, %d thread(s), switches %s, %d rounds x %d steps: GFLOP per CPU-second old %.1f / %.1f, new %.1f / %.1f (best / median);"
                            + " %% of peak old %.1f / %.1f, new %.1f / %.1f; new/old median of per-round ratios %.3f%n",
                    preset, threads, String.join(",", switches), rounds, steps, max(perCpu[0]), median(perCpu[0]), max(perCpu[1]), median(perCpu[1]),
                    max(percent[0]), median(percent[0]), max(percent[1]), median(percent[1]), median(ratio));
        }
    }

    private static void set(String[] switches, boolean value) throws ReflectiveOperationException {
        for (String s : switches) KernelChoice.class.getField(s).setBoolean(null, value);
    }

    private static void step(TrainModel m, AdamW opt, int[] inputs, int[] targets, int batch, int ctx) {
        m.zeroGrad();
        m.forward(inputs, targets, batch, ctx);
        m.backward(1f);
        GradientClipping.clipGlobalNorm(m.params(), 1.0);
        opt.update(m.params(), 1e-4f);
    }

    private static long cpuNanos() { return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L); }

    private static double max(double[] v) { return Arrays.stream(v).max().orElse(0); }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
